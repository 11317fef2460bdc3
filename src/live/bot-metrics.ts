/**
 * Live metrics of the reference bot for Prometheus: its turns by kind and end, the stage timings
 * of its simulated pipeline, its first-chunk delay, and its connections and LLM slots.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { TurnLogRecord } from "../server/turn-log.ts";

const STAGE_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];

/** The pipeline stages exported, by the turn log's field. */
const STAGES = [
  ["stt_ms", "stt"],
  ["queue_ms", "queue"],
  ["llm_ttft_ms", "llm_ttft"],
  ["tool_ms", "tool"],
  ["tts_ttfb_ms", "tts_ttfb"],
] as const;

/** What the bot's gauges read when scraped. */
export interface BotGaugeSource {
  connections(): number;
  llmSlotsInUse(): number;
  llmQueue(): number;
}

/**
 * A registry fed with each finished turn of the reference bot.
 *
 * @example
 * ```ts
 * import { BotMetrics } from "./bot-metrics.ts";
 * const metrics = new BotMetrics({ connections: () => 2, llmSlotsInUse: () => 0, llmQueue: () => 0 });
 * console.log((await metrics.registry.metrics()).includes("voxbench_bot_connections 2")); // true
 * ```
 */
export class BotMetrics {
  readonly registry = new Registry();
  private readonly turns: Counter<"kind" | "end">;
  private readonly stages: Histogram<"stage">;
  private readonly firstChunk: Histogram;

  constructor(source: BotGaugeSource) {
    const registers = [this.registry];
    this.turns = new Counter({
      name: "voxbench_bot_turns_total",
      help: "The reference bot's finished turns, by kind (query, tool) and how they ended",
      labelNames: ["kind", "end"],
      registers,
    });
    this.stages = new Histogram({
      name: "voxbench_bot_stage_seconds",
      help:
        "The reference bot's simulated pipeline stages (stt, queue for an LLM slot, llm_ttft, tool, tts_ttfb)",
      labelNames: ["stage"],
      buckets: STAGE_BUCKETS_S,
      registers,
    });
    this.firstChunk = new Histogram({
      name: "voxbench_bot_first_chunk_delay_seconds",
      help: "End of the caller's speech received to the reply's first chunk sent, on the bot's clock",
      buckets: STAGE_BUCKETS_S,
      registers,
    });
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect(this: Gauge) {
          this.set(read());
        },
      });
    };
    gauge("voxbench_bot_connections", "Open caller connections", () => source.connections());
    gauge("voxbench_bot_llm_slots_in_use", "Simulated LLM slots in use", () => source.llmSlotsInUse());
    gauge("voxbench_bot_llm_queue", "Turns waiting for an LLM slot", () => source.llmQueue());
  }

  /** Counts a finished turn and observes its stage timings. */
  turn(record: TurnLogRecord): void {
    this.turns.inc({ kind: record.kind, end: record.end });
    for (const [field, stage] of STAGES) {
      const value = record[field];
      if (value !== null) this.stages.observe({ stage }, value / 1000);
    }
    if (record.first_chunk_delay_ms !== null) this.firstChunk.observe(record.first_chunk_delay_ms / 1000);
  }
}
