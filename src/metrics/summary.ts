import { type Outcome, OUTCOMES } from "./outcomes.ts";
import { type Statistics, summarize } from "./percentiles.ts";
import type { TurnRecord } from "./turn-record.ts";

/** The metrics summarised for every run (each a turns.csv column). */
export const SUMMARY_METRICS = [
  "connect_ms",
  "ttft_ms",
  "total_ms",
  "heard_ms",
  "reply_audio_ms",
  "underruns",
  "underrun_ms",
  "longest_gap_ms",
  "stop_ms",
  "stale_chunks",
  "recovery_ms",
  "recovery_total_ms",
  "resume_ms",
  "tool_ms",
  "server_stt_ms",
  "server_llm_ttft_ms",
  "server_tts_ttfb_ms",
  "server_tool_ms",
  "server_queue_ms",
  "endpoint_ms",
  "input_tokens",
  "output_tokens",
] as const satisfies readonly (keyof TurnRecord)[];

export type SummaryMetric = (typeof SUMMARY_METRICS)[number];

/** Counts and statistics of a set of turns. */
export interface TurnSetSummary {
  readonly turns: number;
  readonly ok: number;
  readonly failed: number;
  /** ok / turns (0-1); 0 when there are no turns. */
  readonly successRate: number;
  readonly outcomes: Readonly<Partial<Record<Outcome, number>>>;
  /** Statistics of every turn where the metric was measured, whatever its outcome; null when none was. */
  readonly metrics: Readonly<Record<SummaryMetric, Statistics | null>>;
}

/** The summary of a run. */
export interface RunSummary extends TurnSetSummary {
  /** Turns lost because a connection could not be opened. */
  readonly connectionErrors: number;
  readonly byScenario: Readonly<Record<string, TurnSetSummary>>;
  /** How many turns used each audio file (first and second utterances). */
  readonly audioFiles: Readonly<Record<string, number>>;
  /** Open model: arrivals dropped at --max-calls (absent for the closed model). */
  readonly droppedCalls?: number;
}

function summarizeSet(records: readonly TurnRecord[]): TurnSetSummary {
  const outcomes: Partial<Record<Outcome, number>> = {};
  for (const record of records) outcomes[record.outcome] = (outcomes[record.outcome] ?? 0) + 1;
  const ok = outcomes.ok ?? 0;
  const metrics = {} as Record<SummaryMetric, Statistics | null>;
  for (const metric of SUMMARY_METRICS) {
    const values = records.map((record) => record[metric]).filter((value): value is number =>
      typeof value === "number"
    );
    metrics[metric] = summarize(values) ?? null;
  }
  return {
    turns: records.length,
    ok,
    failed: records.length - ok,
    successRate: records.length === 0 ? 0 : ok / records.length,
    outcomes: Object.fromEntries(
      Object.keys(OUTCOMES).filter((key) => outcomes[key as Outcome]).map((
        key,
      ) => [key, outcomes[key as Outcome]]),
    ),
    metrics,
  };
}

/**
 * Summarises a run's turns overall, per scenario and per audio file.
 *
 * @example
 * ```ts
 * import { summarizeRun } from "./summary.ts";
 * console.log(summarizeRun([]).turns); // 0
 * ```
 */
export function summarizeRun(records: readonly TurnRecord[]): RunSummary {
  const scenarios = [...new Set(records.map((record) => record.scenario))].sort();
  const audioFiles: Record<string, number> = {};
  for (const record of records) {
    for (const file of [record.audio_file, record.second_audio_file]) {
      if (file) audioFiles[file] = (audioFiles[file] ?? 0) + 1;
    }
  }
  return {
    ...summarizeSet(records),
    connectionErrors: records.filter((record) => record.outcome === "connect_error").length,
    byScenario: Object.fromEntries(
      scenarios.map((name) => [name, summarizeSet(records.filter((record) => record.scenario === name))]),
    ),
    audioFiles: Object.fromEntries(Object.entries(audioFiles).sort(([a], [b]) => a.localeCompare(b))),
  };
}
