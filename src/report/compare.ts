import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UsageError } from "../common/errors.ts";
import { mannWhitneyU } from "../metrics/mann-whitney.ts";
import { summarize, type Statistics } from "../metrics/percentiles.ts";
import { readCsv } from "./read-csv.ts";

/** A run as `compare` sees it: its identity and, per metric, every turn's value. */
export interface ComparedRun {
  readonly path: string;
  readonly runId: string;
  readonly turns: number;
  /** Per metric column: the values of the turns that measured it. */
  readonly samples: ReadonlyMap<string, readonly number[]>;
  /** 1 for each ok turn, 0 for each failed one. */
  readonly successes: readonly number[];
}

/** The metrics compared (lower is better), in report order. */
export const COMPARED_METRICS = ["ttft_ms", "total_ms", "heard_ms", "connect_ms", "stop_ms", "recovery_ms", "resume_ms"] as const;
/** The statistics compared. */
export const COMPARED_STATS: readonly (keyof Statistics)[] = ["mean", "median", "p95", "p99"];

/** One row of the comparison. */
export interface ComparisonRow {
  readonly metric: string;
  readonly stat: string;
  readonly baseline: number;
  readonly candidate: number;
  /** candidate - baseline. */
  readonly change: number;
  /** Relative change, in percent of the baseline (null when the baseline is 0). */
  readonly changePercent: number | null;
  /** Mann-Whitney U two-sided p-value of the metric's per-turn samples. */
  readonly p: number;
  /** Worse by more than --max-regression AND significant at --alpha. */
  readonly regression: boolean;
}

export interface Comparison {
  readonly baseline: { readonly path: string; readonly runId: string; readonly turns: number };
  readonly candidate: { readonly path: string; readonly runId: string; readonly turns: number };
  readonly maxRegressionPercent: number;
  readonly alpha: number;
  readonly rows: readonly ComparisonRow[];
  readonly regressions: number;
}

/**
 * Loads a run folder (or its summary.json) with the turns.csv beside it.
 *
 * @throws {UsageError} when the files are missing or not voxbench exports.
 */
export async function loadComparedRun(path: string): Promise<ComparedRun> {
  let folder = path;
  try {
    if (!(await stat(path)).isDirectory()) folder = dirname(path);
  } catch {
    throw new UsageError(`${path}: no such run folder or summary.json`);
  }
  const summaryPath = folder === path ? join(folder, "summary.json") : path;
  let summary: { schemaVersion?: unknown; runId?: unknown; turnsFile?: unknown };
  try {
    summary = JSON.parse(await readFile(summaryPath, "utf8")) as typeof summary;
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new UsageError(code === "ENOENT" ? `${summaryPath}: not found (give a run folder or its summary.json)` : `${summaryPath}: not valid JSON`);
  }
  if (summary.schemaVersion !== 1) throw new UsageError(`${summaryPath}: not a voxbench summary (schemaVersion ${String(summary.schemaVersion)})`);
  const csvPath = join(folder, typeof summary.turnsFile === "string" ? basename(summary.turnsFile) : "turns.csv");
  let rows: string[][];
  try {
    rows = readCsv(await readFile(csvPath, "utf8"));
  } catch {
    throw new UsageError(`${csvPath}: not found; compare needs each run's per-turn samples`);
  }
  const header = rows[0] ?? [];
  for (const column of ["outcome", ...COMPARED_METRICS]) {
    if (!header.includes(column)) throw new UsageError(`${csvPath}: not a voxbench turns.csv (no ${column} column)`);
  }
  const samples = new Map<string, number[]>();
  const successes: number[] = [];
  for (const row of rows.slice(1)) {
    if (row.length !== header.length) continue;
    successes.push(row[header.indexOf("outcome")] === "ok" ? 1 : 0);
    for (const metric of COMPARED_METRICS) {
      const cell = row[header.indexOf(metric)]!;
      if (cell === "") continue;
      const value = Number(cell);
      if (!Number.isFinite(value)) continue;
      const list = samples.get(metric);
      if (list) list.push(value);
      else samples.set(metric, [value]);
    }
  }
  return { path, runId: String(summary.runId ?? basename(folder)), turns: successes.length, samples, successes };
}

/**
 * Compares a candidate run with a baseline, metric by metric and statistic by statistic. A change
 * is a regression only when it is worse by more than `maxRegressionPercent` AND a Mann-Whitney U
 * test on the per-turn samples says the shift is significant at `alpha`: noise alone never fails
 * a build.
 *
 * @example
 * ```ts
 * import { compareRuns } from "./compare.ts";
 * // const comparison = compareRuns(await loadComparedRun("exports/a"), await loadComparedRun("exports/b"), 10, 0.01);
 * ```
 */
export function compareRuns(baseline: ComparedRun, candidate: ComparedRun, maxRegressionPercent: number, alpha: number): Comparison {
  const rows: ComparisonRow[] = [];
  const add = (metric: string, stat: string, before: number, after: number, p: number, higherIsBetter: boolean): void => {
    const change = after - before;
    const changePercent = before === 0 ? null : (change / Math.abs(before)) * 100;
    const worsePercent = changePercent === null ? (change !== 0 ? Infinity : 0) : higherIsBetter ? -changePercent : changePercent;
    rows.push({ metric, stat, baseline: before, candidate: after, change, changePercent, p, regression: worsePercent > maxRegressionPercent && p < alpha });
  };
  for (const metric of COMPARED_METRICS) {
    const before = baseline.samples.get(metric) ?? [];
    const after = candidate.samples.get(metric) ?? [];
    const beforeStats = summarize(before);
    const afterStats = summarize(after);
    if (!beforeStats || !afterStats) continue;
    const { p } = mannWhitneyU(before, after);
    for (const stat of COMPARED_STATS) add(metric, stat, beforeStats[stat], afterStats[stat], p, false);
  }
  if (baseline.successes.length > 0 && candidate.successes.length > 0) {
    const rate = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
    add("success_rate", "rate", rate(baseline.successes), rate(candidate.successes), mannWhitneyU(baseline.successes, candidate.successes).p, true);
  }
  return {
    baseline: { path: baseline.path, runId: baseline.runId, turns: baseline.turns },
    candidate: { path: candidate.path, runId: candidate.runId, turns: candidate.turns },
    maxRegressionPercent,
    alpha,
    rows,
    regressions: rows.filter((row) => row.regression).length,
  };
}

/** The comparison as a terminal table. */
export function formatComparison(comparison: Comparison): string {
  const value = (metric: string, number: number): string => (metric === "success_rate" ? `${(number * 100).toFixed(1)}%` : `${number.toFixed(1)}`);
  const table = comparison.rows.map((row) => [
    row.metric,
    row.stat,
    value(row.metric, row.baseline),
    value(row.metric, row.candidate),
    `${row.change >= 0 ? "+" : ""}${row.metric === "success_rate" ? `${(row.change * 100).toFixed(1)} pt` : row.change.toFixed(1)}`,
    row.changePercent === null ? "-" : `${row.changePercent >= 0 ? "+" : ""}${row.changePercent.toFixed(1)}%`,
    row.p < 0.0001 ? "<0.0001" : row.p.toFixed(4),
    row.regression ? "❌ REGRESSION" : "",
  ]);
  const header = ["metric", "stat", "baseline", "candidate", "change", "change %", "p", ""];
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((cell, column) => (column < 2 || column === 7 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ")}`.trimEnd();
  return [
    `📊 COMPARE (ms)  baseline ${comparison.baseline.runId} (${comparison.baseline.turns} turns) -> candidate ${comparison.candidate.runId} (${comparison.candidate.turns} turns)`,
    `   A regression is worse by more than ${comparison.maxRegressionPercent}% AND significant (Mann-Whitney U, p < ${comparison.alpha}).`,
    line(header),
    ...table.map(line),
    comparison.regressions === 0 ? "  ✅ no regression" : `  ❌ ${comparison.regressions} regression${comparison.regressions === 1 ? "" : "s"}: exit code 1`,
  ].join("\n");
}
