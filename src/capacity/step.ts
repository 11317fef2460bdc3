/**
 * One step of a capacity search: a run held at one load, judged by the search's thresholds over the
 * turns that began once the load had settled.
 */
import { executeRun, prepareRun, type RunResult } from "../load/runner.ts";
import type { RunOptions } from "../load/options.ts";
import { type RunSummary, summarizeRun } from "../metrics/summary.ts";
import { evaluateRule, type Verdict } from "../metrics/verdicts.ts";
import type { Statistics } from "../metrics/percentiles.ts";
import type { StepVerdict } from "./search.ts";

/** What the search steps: calls in progress (closed model) or calls arriving per second (open model). */
export type CapacityMode = "concurrency" | "arrival";

/** How every step runs. */
export interface StepSettings {
  readonly mode: CapacityMode;
  /** Each step's load is held this long (closed: no turn begins after it; open: calls arrive for it). */
  readonly holdS: number;
  /** Turns that began within this long of the step's start are not judged (the load settling). */
  readonly warmupS: number;
}

/** A measured step: its load, its verdicts over the settled turns, and whether voxbench kept up. */
export interface CapacityStep extends StepVerdict {
  readonly index: number;
  readonly runId: string;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Turns begun in the step, and those judged (begun after the warm-up). */
  readonly turns: number;
  readonly judgedTurns: number;
  readonly summary: RunSummary;
  /** The search's thresholds over the judged turns. */
  readonly verdicts: readonly Verdict[];
  /** Why voxbench's own figures cannot be trusted in this step (empty when valid). */
  readonly generatorReasons: readonly string[];
  /** The whole run, for its exports. */
  readonly result: RunResult;
}

/** The run options of one step: the user's options with the step's load. */
export function stepOptions(base: RunOptions, settings: StepSettings, load: number): RunOptions {
  return settings.mode === "concurrency"
    ? { ...base, concurrency: load, durationS: settings.holdS }
    : { ...base, arrivalRate: load, durationS: settings.holdS };
}

/**
 * Runs one step at `load` and judges it: every threshold over the turns that began after the
 * warm-up; valid only when voxbench's own loop kept up over the whole step and in every window.
 */
export async function runStep(
  index: number,
  base: RunOptions,
  settings: StepSettings,
  load: number,
  signal: AbortSignal,
  hooks: Pick<RunOptions, "onTurn" | "onCallsChange"> = {},
): Promise<CapacityStep> {
  const prepared = await prepareRun(stepOptions(base, settings, load));
  const result = await executeRun(prepared, { signal, ...hooks });
  const settledFromMs = Date.parse(result.startedAt) + settings.warmupS * 1000;
  const judged = result.turns.filter((turn) => Date.parse(turn.started_at) >= settledFromMs);
  const summary: RunSummary = {
    ...summarizeRun(judged),
    ...(result.calls ? { droppedCalls: result.calls.dropped } : {}),
  };
  const verdicts = prepared.thresholds.map((rule) =>
    evaluateRule(rule, summary, "threshold", rule.expression)
  );
  const laggedWindows = (result.timeline ?? []).filter((window) => window.generatorLagged);
  const generatorReasons = [
    ...result.health.reasons,
    ...(laggedWindows.length > 0 && result.health.valid
      ? [
        `voxbench's event loop lagged past --max-lag-ms ${result.config.maxLagMs} in the window(s) at ${
          laggedWindows.map((window) => `${window.startS} s`).join(", ")
        }`,
      ]
      : []),
  ];
  return {
    index,
    load,
    runId: result.runId,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    passed: verdicts.every((verdict) => verdict.status !== "fail"),
    valid: generatorReasons.length === 0,
    interrupted: result.interrupted,
    turns: result.turns.length,
    judgedTurns: judged.length,
    summary,
    verdicts,
    generatorReasons,
    result,
  };
}

/** The statistics the capacity files show per step. */
export const STEP_METRICS = ["ttft_ms", "total_ms", "heard_ms", "stop_ms"] as const;

/** A step's statistics of one metric over its judged turns, or null. */
export function stepStatistics(step: CapacityStep, metric: (typeof STEP_METRICS)[number]): Statistics | null {
  return step.summary.metrics[metric] ?? null;
}
