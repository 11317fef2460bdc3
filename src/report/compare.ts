import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UsageError } from "../common/errors.ts";
import { FileReadError, readTextFile } from "../common/read-file.ts";
import { expectedMannWhitneyP, mannWhitneyU, scaleShiftEffect } from "../metrics/mann-whitney.ts";
import { type Statistics, summarize } from "../metrics/percentiles.ts";
import { fisherExactDropP } from "../metrics/proportions.ts";
import { readCsv } from "./read-csv.ts";
import { sanitizeForTerminal } from "./sanitize.ts";

/** A run as `compare` sees it: its identity, what it ran and, per metric, every turn's value. */
export interface ComparedRun {
  readonly path: string;
  readonly runId: string;
  /** Complete rows of turns.csv. */
  readonly turns: number;
  /** Per metric column: the values of the turns that measured it. */
  readonly samples: ReadonlyMap<string, readonly number[]>;
  /** 1 for each ok turn, 0 for each failed one; cancelled turns (stopped by the user, not failed by the bot) are left out. */
  readonly successes: readonly number[];
  /** The wire protocol the run spoke: summary.json `config.protocol`, "speech-events" when absent. */
  readonly protocol: string;
  /** Weight by scenario name (weights above 0 only); null when summary.json does not record the mix. */
  readonly scenarioWeights: ReadonlyMap<string, number> | null;
  /**
   * Why the run cannot be judged (empty when it can), each worded to follow "the baseline run
   * (PATH)": no turns, interrupted, turns.csv cut or not matching summary.json.
   */
  readonly problems: readonly string[];
}

/** summary.json is a few kilobytes; a run's turns.csv holds at most a million rows of a few hundred bytes. */
const MAX_SUMMARY_BYTES = 64 * 1024 * 1024;
const MAX_TURNS_CSV_BYTES = 1024 * 1024 * 1024;

/** The metrics compared (lower is better), in report order. */
export const COMPARED_METRICS = [
  "ttft_ms",
  "total_ms",
  "heard_ms",
  "connect_ms",
  "stop_ms",
  "recovery_ms",
  "resume_ms",
] as const;
/** The statistics compared. */
export const COMPARED_STATS: readonly (keyof Statistics)[] = ["mean", "median", "p95", "p99"];
/** Fewer samples than this on either side are too few to judge a metric, whatever its spread. */
export const MIN_COMPARED_SAMPLES = 20;
/** The "about N per side would do" hint looks no further than this. */
const MAX_SUGGESTED_SAMPLES = 1_000_000;

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
  /**
   * p-value of `test`: Mann-Whitney U (two-sided) on the metric's per-turn samples, or Fisher's
   * exact test (one-sided, for a drop) on the success counts.
   */
  readonly p: number;
  readonly test: "mann-whitney-u" | "fisher-exact";
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
  /**
   * Why the verdict may not hold, one line each: problems of the runs that --force let through,
   * then metrics with too few samples to tell a change of --max-regression at --alpha, and
   * metrics measured in one run only.
   */
  readonly warnings: readonly string[];
}

/** summary.json as far as `compare` reads it; anything may be missing or of the wrong type. */
interface SummaryFile {
  readonly schemaVersion?: unknown;
  readonly runId?: unknown;
  readonly turnsFile?: unknown;
  readonly interrupted?: unknown;
  readonly summary?: { readonly turns?: unknown } | null;
  readonly config?: {
    readonly protocol?: unknown;
    readonly mix?: unknown;
    readonly weights?: unknown;
    readonly customScenarios?: unknown;
  } | null;
}

/** summary.json's built-in weights by the name of the scenario they weigh. */
const BUILT_IN_WEIGHTS: Readonly<Record<string, string>> = {
  simple: "simple_query",
  tools: "tool_call",
  interruptions: "interruption",
  falseAlarms: "false_alarm",
};

function readScenarioWeights(config: SummaryFile["config"]): Map<string, number> | null {
  const mixByName = config?.mix;
  if (typeof mixByName === "object" && mixByName !== null) {
    const mix = new Map<string, number>();
    for (const [name, weight] of Object.entries(mixByName)) {
      if (typeof weight === "number" && weight > 0) mix.set(sanitizeForTerminal(name), weight);
    }
    return mix;
  }
  // summary.json files written before the mix was one map keyed by scenario name.
  const weights = config?.weights;
  if (typeof weights !== "object" || weights === null) return null;
  const mix = new Map<string, number>();
  for (const [key, name] of Object.entries(BUILT_IN_WEIGHTS)) {
    const weight = (weights as Record<string, unknown>)[key];
    if (typeof weight === "number" && weight > 0) mix.set(name, weight);
  }
  const custom: unknown = config?.customScenarios;
  for (const entry of Array.isArray(custom) ? (custom as unknown[]) : []) {
    const { name, weight } = (typeof entry === "object" && entry !== null ? entry : {}) as {
      name?: unknown;
      weight?: unknown;
    };
    if (typeof name === "string" && typeof weight === "number" && weight > 0) {
      mix.set(sanitizeForTerminal(name), weight);
    }
  }
  return mix;
}

/**
 * Loads a run folder (or its summary.json) with the turns.csv beside it. What makes the run
 * impossible to judge (no turns, interrupted, a cut turns.csv) is listed in `problems`, not
 * thrown, so that --force can go on with the complete rows.
 *
 * @throws {UsageError} when the files are missing or not voxbench exports.
 * @example
 * ```ts
 * import { loadComparedRun } from "./compare.ts";
 * // const run = await loadComparedRun("exports/20261128-031500-ab12");
 * // console.log(run.turns, run.problems); // 50 []
 * ```
 */
export async function loadComparedRun(path: string): Promise<ComparedRun> {
  let folder = path;
  try {
    if (!(await stat(path)).isDirectory()) folder = dirname(path);
  } catch {
    throw new UsageError(`${path}: no such run folder or summary.json`);
  }
  const summaryPath = folder === path ? join(folder, "summary.json") : path;
  let summaryText: string;
  try {
    summaryText = await readTextFile(summaryPath, { maxBytes: MAX_SUMMARY_BYTES });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new UsageError(
      error.code === "ENOENT"
        ? `${summaryPath}: not found (give a run folder or its summary.json)`
        : `${summaryPath}: ${error.reason}`,
    );
  }
  let summary: SummaryFile;
  try {
    summary = JSON.parse(summaryText) as SummaryFile;
  } catch {
    throw new UsageError(`${summaryPath}: not valid JSON`);
  }
  if (typeof summary !== "object" || summary === null || summary.schemaVersion !== 1) {
    throw new UsageError(
      `${summaryPath}: not a voxbench summary (schemaVersion ${String(summary?.schemaVersion)})`,
    );
  }
  const csvName = typeof summary.turnsFile === "string" ? basename(summary.turnsFile) : "turns.csv";
  const csvPath = join(folder, csvName);
  let csv: ReturnType<typeof readCsv>;
  try {
    csv = readCsv(await readTextFile(csvPath, { maxBytes: MAX_TURNS_CSV_BYTES }));
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new UsageError(
      error.code === "ENOENT"
        ? `${csvPath}: not found; compare needs each run's per-turn samples`
        : `${csvPath}: ${error.reason}`,
    );
  }
  const header = csv.rows[0] ?? [];
  for (const column of ["outcome", ...COMPARED_METRICS]) {
    if (!header.includes(column)) {
      throw new UsageError(`${csvPath}: not a voxbench turns.csv (no ${column} column)`);
    }
  }
  const outcomeColumn = header.indexOf("outcome");
  const samples = new Map<string, number[]>();
  const successes: number[] = [];
  /** Row numbers (the header is row 1) whose cell count differs from the header's. */
  const misshapenRows: number[] = [];
  let turns = 0;
  for (const [index, row] of csv.rows.entries()) {
    if (index === 0) continue;
    if (row.length !== header.length) {
      misshapenRows.push(index + 1);
      continue;
    }
    turns++;
    const outcome = row[outcomeColumn];
    if (outcome !== "cancelled") successes.push(outcome === "ok" ? 1 : 0);
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

  const problems: string[] = [];
  if (summary.interrupted === true) {
    problems.push("was interrupted (summary.json says interrupted: true): its results are partial");
  }
  if (misshapenRows.length > 0) {
    const rows = misshapenRows.length === 1 ? "1 row" : `${misshapenRows.length} rows`;
    problems.push(
      `has ${rows} in ${csvName} whose cell count differs from the header's ${header.length} (the first is row ${
        misshapenRows[0]
      })`,
    );
  }
  const { unfinishedRow } = csv;
  if (unfinishedRow) {
    const how = csv.endsInQuotes
      ? "it ends inside a quoted cell"
      : unfinishedRow.length < header.length
      ? `its last row has ${unfinishedRow.length} of ${header.length} cells`
      : "its last row has no line end";
    problems.push(`has a ${csvName} cut mid-row (${how})`);
  }
  const summaryTurns = typeof summary.summary?.turns === "number" ? summary.summary.turns : undefined;
  const rowsSeen = turns + misshapenRows.length + (unfinishedRow ? 1 : 0);
  if (turns === 0) {
    problems.push(
      summaryTurns
        ? `has no complete turns in ${csvName} (summary.json counts ${summaryTurns})`
        : "has no turns",
    );
  } else if (summaryTurns !== undefined && summaryTurns !== turns && summaryTurns !== rowsSeen) {
    problems.push(
      `has ${turns} turns in ${csvName} but summary.json counts ${summaryTurns}: the file is cut or belongs to another run`,
    );
  }
  return {
    path,
    runId: String(summary.runId ?? basename(folder)),
    turns,
    samples,
    successes,
    protocol: typeof summary.config?.protocol === "string"
      ? sanitizeForTerminal(summary.config.protocol)
      : "speech-events",
    scenarioWeights: readScenarioWeights(summary.config),
    problems,
  };
}

function sameMix(first: ReadonlyMap<string, number>, second: ReadonlyMap<string, number>): boolean {
  const total = (mix: ReadonlyMap<string, number>): number =>
    [...mix.values()].reduce((sum, weight) => sum + weight, 0);
  const [firstTotal, secondTotal] = [total(first), total(second)];
  // Weights need not sum to 1 (simple 3, tools 1 is simple 0.75, tools 0.25): compare shares.
  return [...new Set([...first.keys(), ...second.keys()])].every(
    (name) => Math.abs((first.get(name) ?? 0) / firstTotal - (second.get(name) ?? 0) / secondTotal) < 1e-9,
  );
}

function describeMix(mix: ReadonlyMap<string, number>): string {
  return mix.size === 0 ? "none" : [...mix].map(([name, weight]) => `${name} ${weight}`).join(" ");
}

/**
 * Why two runs cannot be judged against each other, one line each (empty when they can): each
 * run's own problems, then a different protocol or scenario mix. `compare` refuses unless
 * --force; with it these become warnings.
 *
 * @example
 * ```ts
 * import { comparabilityProblems } from "./compare.ts";
 * // comparabilityProblems(baseline, candidate)
 * // -> ["the candidate run (exports/b) was interrupted (summary.json says interrupted: true): its results are partial"]
 * ```
 */
export function comparabilityProblems(baseline: ComparedRun, candidate: ComparedRun): string[] {
  const problems = [
    ...baseline.problems.map((problem) => `the baseline run (${baseline.path}) ${problem}`),
    ...candidate.problems.map((problem) => `the candidate run (${candidate.path}) ${problem}`),
  ];
  if (baseline.protocol !== candidate.protocol) {
    problems.push(
      `the runs used different protocols (baseline ${baseline.protocol}, candidate ${candidate.protocol})`,
    );
  }
  if (
    baseline.scenarioWeights && candidate.scenarioWeights &&
    !sameMix(baseline.scenarioWeights, candidate.scenarioWeights)
  ) {
    problems.push(
      `the runs used different scenario mixes (baseline ${describeMix(baseline.scenarioWeights)}, candidate ${
        describeMix(candidate.scenarioWeights)
      })`,
    );
  }
  return problems;
}

/** How much worse `after` is than `before`, in percent of `before` (Infinity from a baseline of 0). */
function worsePercent(before: number, after: number, higherIsBetter: boolean): number {
  const worse = higherIsBetter ? before - after : after - before;
  if (before === 0) return worse > 0 ? Infinity : 0;
  return (worse / Math.abs(before)) * 100;
}

function formatValue(metric: string, value: number): string {
  return metric === "success_rate" ? `${(value * 100).toFixed(1)}%` : value.toFixed(1);
}

function formatP(p: number): string {
  return p < 0.0001 ? "<0.0001" : p.toFixed(4);
}

/** The smallest per-side sample count for which `enough` holds (searched by halving), or null beyond the search. */
function smallestSufficientCount(enough: (count: number) => boolean): number | null {
  if (enough(MIN_COMPARED_SAMPLES)) return MIN_COMPARED_SAMPLES;
  if (!enough(MAX_SUGGESTED_SAMPLES)) return null;
  let tooFew = MIN_COMPARED_SAMPLES;
  let sufficient = MAX_SUGGESTED_SAMPLES;
  while (sufficient - tooFew > 1) {
    const middle = Math.floor((tooFew + sufficient) / 2);
    if (enough(middle)) sufficient = middle;
    else tooFew = middle;
  }
  return sufficient;
}

/** What a metric's sample-size check needs to know. */
interface SampleCheck {
  readonly metric: string;
  readonly rows: readonly ComparisonRow[];
  readonly higherIsBetter: boolean;
  readonly baselineCount: number;
  readonly candidateCount: number;
  readonly unit: "samples" | "turns";
  /**
   * Would a change of exactly --max-regression be significant with these sample counts? null when
   * there is no such change to look for (--max-regression 0): then only the minimum applies.
   */
  readonly detects: ((baselineCount: number, candidateCount: number) => boolean) | null;
}

/**
 * The warning for a metric whose samples are too few to tell a change of --max-regression at
 * --alpha: fewer than {@link MIN_COMPARED_SAMPLES} on a side, or so few for their spread that even
 * a change of exactly --max-regression would not come out significant. Undefined when they are
 * enough, or when a regression was found all the same. A row worse by more than --max-regression
 * but not significant makes the warning say "inconclusive".
 */
function sampleSizeWarning(
  check: SampleCheck,
  maxRegressionPercent: number,
  alpha: number,
): string | undefined {
  if (check.rows.some((row) => row.regression)) return undefined;
  const enough = (baselineCount: number, candidateCount: number): boolean =>
    baselineCount >= MIN_COMPARED_SAMPLES && candidateCount >= MIN_COMPARED_SAMPLES &&
    (check.detects?.(baselineCount, candidateCount) ?? true);
  if (enough(check.baselineCount, check.candidateCount)) return undefined;
  const needed = smallestSufficientCount((count) => enough(count, count));
  const worst = check.rows
    .map((row) => ({ row, worse: worsePercent(row.baseline, row.candidate, check.higherIsBetter) }))
    .filter(({ worse }) => worse > maxRegressionPercent)
    .sort((a, b) => b.worse - a.worse)[0];
  const inconclusive = worst
    ? `inconclusive: ${worst.row.stat} is ${
      Number.isFinite(worst.worse) ? `${worst.worse.toFixed(1)}%` : "infinitely"
    } worse ` +
      `(${formatValue(check.metric, worst.row.baseline)} -> ${
        formatValue(check.metric, worst.row.candidate)
      }) but p = ${formatP(worst.row.p)} is not below ${alpha}; `
    : "";
  const change = check.higherIsBetter ? "drop" : "change";
  const hint = needed === null
    ? `not even ${MAX_SUGGESTED_SAMPLES} per side would do`
    : `about ${needed} per side would do`;
  return `${check.metric}: ${inconclusive}${check.baselineCount} baseline and ${check.candidateCount} candidate ${check.unit} are too few to tell a ${maxRegressionPercent}% ${change} at alpha ${alpha} (${hint})`;
}

/**
 * Compares a candidate run with a baseline, metric by metric and statistic by statistic. A change
 * is a regression only when it is worse by more than `maxRegressionPercent` AND a test says it is
 * significant at `alpha`: Mann-Whitney U on each metric's per-turn samples, Fisher's exact test
 * (one-sided) on the success counts. Noise alone never fails a build, and what keeps the verdict
 * from holding (the runs' problems, samples too small to tell) is listed in `warnings`.
 *
 * @example
 * ```ts
 * import { compareRuns, loadComparedRun } from "./compare.ts";
 * // const comparison = compareRuns(await loadComparedRun("exports/a"), await loadComparedRun("exports/b"), 10, 0.01);
 * // console.log(comparison.regressions, comparison.warnings); // 0 []
 * ```
 */
export function compareRuns(
  baseline: ComparedRun,
  candidate: ComparedRun,
  maxRegressionPercent: number,
  alpha: number,
): Comparison {
  const rows: ComparisonRow[] = [];
  const warnings = comparabilityProblems(baseline, candidate);
  const shift = 1 + maxRegressionPercent / 100;
  const add = (
    metric: string,
    stat: string,
    before: number,
    after: number,
    p: number,
    test: ComparisonRow["test"],
    higherIsBetter: boolean,
  ): ComparisonRow => {
    const change = after - before;
    const changePercent = before === 0 ? null : (change / Math.abs(before)) * 100;
    const regression = worsePercent(before, after, higherIsBetter) > maxRegressionPercent && p < alpha;
    const row = {
      metric,
      stat,
      baseline: before,
      candidate: after,
      change,
      changePercent,
      p,
      test,
      regression,
    };
    rows.push(row);
    return row;
  };
  const check = (sampleCheck: SampleCheck): void => {
    const warning = sampleSizeWarning(sampleCheck, maxRegressionPercent, alpha);
    if (warning) warnings.push(warning);
  };

  for (const metric of COMPARED_METRICS) {
    const before = baseline.samples.get(metric) ?? [];
    const after = candidate.samples.get(metric) ?? [];
    const beforeStats = summarize(before);
    const afterStats = summarize(after);
    if (!beforeStats || !afterStats) {
      // A metric neither run measured is not applicable; one that a single run measured cannot be judged.
      if (beforeStats || afterStats) {
        const [run, count] = beforeStats ? ["baseline", before.length] : ["candidate", after.length];
        if (baseline.turns > 0 && candidate.turns > 0) {
          warnings.push(`${metric}: measured in the ${run} run only (${count} samples), so not compared`);
        }
      }
      continue;
    }
    const { p } = mannWhitneyU(before, after);
    const metricRows = COMPARED_STATS.map((stat) =>
      add(metric, stat, beforeStats[stat], afterStats[stat], p, "mann-whitney-u", false)
    );
    const effect = scaleShiftEffect(before, shift);
    check({
      metric,
      rows: metricRows,
      higherIsBetter: false,
      baselineCount: before.length,
      candidateCount: after.length,
      unit: "samples",
      detects: maxRegressionPercent > 0
        ? (baselineCount, candidateCount) =>
          expectedMannWhitneyP(effect, baselineCount, candidateCount) < alpha
        : null,
    });
  }

  const beforeTrials = baseline.successes.length;
  const afterTrials = candidate.successes.length;
  if (beforeTrials > 0 && afterTrials > 0) {
    const okBefore = baseline.successes.reduce((sum, value) => sum + value, 0);
    const okAfter = candidate.successes.reduce((sum, value) => sum + value, 0);
    const rateBefore = okBefore / beforeTrials;
    const p = fisherExactDropP({ successes: okBefore, trials: beforeTrials }, {
      successes: okAfter,
      trials: afterTrials,
    });
    const rateRow = add("success_rate", "rate", rateBefore, okAfter / afterTrials, p, "fisher-exact", true);
    // From a rate of 0 nothing can drop: there is nothing to tell.
    if (rateBefore > 0) {
      check({
        metric: "success_rate",
        rows: [rateRow],
        higherIsBetter: true,
        baselineCount: beforeTrials,
        candidateCount: afterTrials,
        unit: "turns",
        // A drop of exactly --max-regression, from the baseline's rate, at these counts.
        detects: maxRegressionPercent > 0
          ? (baselineCount, candidateCount) =>
            fisherExactDropP(
              { successes: Math.round(rateBefore * baselineCount), trials: baselineCount },
              {
                successes: Math.floor(rateBefore * (1 - maxRegressionPercent / 100) * candidateCount + 1e-9),
                trials: candidateCount,
              },
            ) < alpha
          : null,
      });
    }
  }
  return {
    baseline: { path: baseline.path, runId: baseline.runId, turns: baseline.turns },
    candidate: { path: candidate.path, runId: candidate.runId, turns: candidate.turns },
    maxRegressionPercent,
    alpha,
    rows,
    regressions: rows.filter((row) => row.regression).length,
    warnings,
  };
}

/**
 * The comparison as a terminal table, its warnings, and a verdict line that never says "no
 * regression" when a warning leaves it open.
 *
 * @example
 * ```ts
 * import { formatComparison } from "./compare.ts";
 * // console.log(formatComparison(comparison)); // ... "  ✅ no regression"
 * ```
 */
export function formatComparison(comparison: Comparison): string {
  const table = comparison.rows.map((row) => [
    row.metric,
    row.stat,
    formatValue(row.metric, row.baseline),
    formatValue(row.metric, row.candidate),
    `${row.change >= 0 ? "+" : ""}${
      row.metric === "success_rate" ? `${(row.change * 100).toFixed(1)} pt` : row.change.toFixed(1)
    }`,
    row.changePercent === null ? "-" : `${row.changePercent >= 0 ? "+" : ""}${row.changePercent.toFixed(1)}%`,
    formatP(row.p),
    row.regression ? "❌ REGRESSION" : "",
  ]);
  const header = ["metric", "stat", "baseline", "candidate", "change", "change %", "p", ""];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...table.map((row) => row[column]!.length))
  );
  const line = (cells: readonly string[]): string =>
    `  ${
      cells.map((
        cell,
        column,
      ) => (column < 2 || column === 7 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join(
        "  ",
      )
    }`.trimEnd();
  const warningCount = comparison.warnings.length;
  const warnings = `${warningCount} warning${warningCount === 1 ? "" : "s"}`;
  const verdict = comparison.regressions > 0
    ? `  ❌ ${comparison.regressions} regression${comparison.regressions === 1 ? "" : "s"}: exit code 1${
      warningCount > 0 ? ` (and ${warnings})` : ""
    }`
    : warningCount > 0
    ? `  ⚠️ no significant regression, but ${warnings}: the runs or samples may not be enough to tell`
    : "  ✅ no regression";
  return [
    `📊 COMPARE (ms)  baseline ${comparison.baseline.runId} (${comparison.baseline.turns} turns) -> candidate ${comparison.candidate.runId} (${comparison.candidate.turns} turns)`,
    `   A regression is worse by more than ${comparison.maxRegressionPercent}% AND significant at p < ${comparison.alpha} (Mann-Whitney U, two-sided; success rate: Fisher's exact test, one-sided).`,
    line(header),
    ...table.map(line),
    ...comparison.warnings.map((warning) => `  ⚠️ ${warning}`),
    verdict,
  ].join("\n");
}
