/**
 * A capacity search's files: capacity.json (the search, its result and every step) and capacity.csv
 * (one row per step, to draw the curve), written beside each step's own run folder under steps/.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { VERSION } from "../version.ts";
import { currentRuntime } from "../common/runtime.ts";
import { writeExports } from "../report/exports.ts";
import { renderCapacityPage } from "../report/html/capacity-page.ts";
import type { SearchEnd, SearchPlan } from "./search.ts";
import { type CapacityStep, STEP_METRICS, type StepSettings, stepStatistics } from "./step.ts";

/** Version of capacity.json's layout. */
export const CAPACITY_SCHEMA_VERSION = 1;

/** What a capacity search found, and how. */
export interface CapacityReport {
  readonly id: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly thresholds: readonly string[];
  readonly plan: SearchPlan;
  readonly settings: StepSettings;
  /** The run configuration of the first step (the bot's URL and headers redacted). */
  readonly config: unknown;
  readonly steps: readonly CapacityStep[];
  readonly capacity: CapacityStep | null;
  readonly firstFailing: CapacityStep | null;
  /** Why the search ended; "max_duration" when --max-duration stopped it. */
  readonly end: SearchEnd | "max_duration";
  /** One line for people: the capacity, or why there is none. */
  readonly conclusion: string;
}

/** A step as capacity.json holds it (its turns are in its own run folder). */
function stepJson(step: CapacityStep): Record<string, unknown> {
  return {
    index: step.index,
    load: step.load,
    runId: step.runId,
    startedAt: step.startedAt,
    durationMs: step.durationMs,
    passed: step.passed,
    valid: step.valid,
    interrupted: step.interrupted,
    turns: step.turns,
    judgedTurns: step.judgedTurns,
    ok: step.summary.ok,
    failed: step.summary.failed,
    successRate: step.summary.successRate,
    droppedCalls: step.summary.droppedCalls ?? 0,
    metrics: Object.fromEntries(STEP_METRICS.map((metric) => [metric, stepStatistics(step, metric)])),
    verdicts: step.verdicts,
    generatorReasons: step.generatorReasons,
  };
}

/** capacity.json's text. */
export function capacityJson(report: CapacityReport): string {
  return `${
    JSON.stringify(
      {
        schemaVersion: CAPACITY_SCHEMA_VERSION,
        tool: { name: "voxbench", version: VERSION },
        runtime: currentRuntime(),
        id: report.id,
        startedAt: report.startedAt,
        endedAt: report.endedAt,
        thresholds: report.thresholds,
        mode: report.settings.mode,
        plan: report.plan,
        holdS: report.settings.holdS,
        warmupS: report.settings.warmupS,
        config: report.config,
        result: {
          capacity: report.capacity?.load ?? null,
          firstFailing: report.firstFailing?.load ?? null,
          failedThresholds: report.firstFailing ? failedThresholds(report.firstFailing) : [],
          end: report.end,
          conclusion: report.conclusion,
        },
        steps: report.steps.map(stepJson),
      },
      null,
      2,
    )
  }\n`;
}

/** capacity.csv's columns. */
export const CAPACITY_COLUMNS = [
  "step",
  "load",
  "passed",
  "valid",
  "interrupted",
  "turns",
  "judged_turns",
  "ok",
  "failed",
  "dropped_calls",
  ...STEP_METRICS.flatMap((metric) => {
    const name = metric.replace(/_ms$/, "");
    return [`${name}_p50_ms`, `${name}_p95_ms`, `${name}_p99_ms`];
  }),
  "failed_thresholds",
  "run_id",
] as const;

/** capacity.csv's text: one row per step, in the order they ran. */
export function capacityCsv(steps: readonly CapacityStep[]): string {
  const cell = (value: number | null | undefined): string =>
    value == null ? "" : String(Math.round(value * 1000) / 1000);
  const rows = steps.map((step) => [
    String(step.index),
    String(step.load),
    String(step.passed),
    String(step.valid),
    String(step.interrupted),
    String(step.turns),
    String(step.judgedTurns),
    String(step.summary.ok),
    String(step.summary.failed),
    String(step.summary.droppedCalls ?? 0),
    ...STEP_METRICS.flatMap((metric) => {
      const stats = stepStatistics(step, metric);
      return [cell(stats?.median), cell(stats?.p95), cell(stats?.p99)];
    }),
    failedThresholds(step).join("; "),
    step.runId,
  ]);
  return stringify([[...CAPACITY_COLUMNS], ...rows], { record_delimiter: "\n" });
}

/** A step's failed thresholds as "expression (measured value)". */
export function failedThresholds(step: CapacityStep): string[] {
  return step.verdicts.filter((verdict) => verdict.status === "fail").map((verdict) =>
    `${verdict.expression} (${
      verdict.measured === null
        ? verdict.note ?? "nothing measured"
        : Math.round(verdict.measured * 1000) / 1000
    })`
  );
}

/** Where a search's files went. */
export interface CapacityPaths {
  readonly dir: string;
  readonly capacityJson: string;
  readonly capacityCsv: string;
}

/**
 * Writes `<exportDir>/<id>/capacity.json`, `capacity.csv`, and each step's run (summary.json,
 * turns.csv, timeline.csv) under `steps/`.
 */
export async function writeCapacityFiles(
  report: CapacityReport,
  exportDir: string,
  options: { readonly html?: boolean } = {},
): Promise<CapacityPaths> {
  const dir = join(exportDir, report.id);
  await mkdir(join(dir, "steps"), { recursive: true });
  for (const step of report.steps) await writeExports(step.result, join(dir, "steps"), options);
  const paths = { dir, capacityJson: join(dir, "capacity.json"), capacityCsv: join(dir, "capacity.csv") };
  await writeFile(paths.capacityCsv, capacityCsv(report.steps));
  await writeFile(paths.capacityJson, capacityJson(report));
  if (options.html ?? true) {
    await writeFile(
      join(dir, "capacity.html"),
      renderCapacityPage({
        id: report.id,
        mode: report.settings.mode,
        holdS: report.settings.holdS,
        startedAt: report.startedAt,
        thresholds: report.thresholds,
        capacity: report.capacity?.load ?? null,
        conclusion: report.conclusion,
        steps: report.steps,
      }),
    );
  }
  return paths;
}
