/**
 * Live metrics of a load test for Prometheus: turns by scenario and outcome, latency histograms by
 * scenario, calls in progress and voxbench's own event-loop lag. Labels are a bounded set
 * (scenario, outcome): never a caller, a call or a session.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { TurnRecord } from "../metrics/turn-record.ts";
import { monotonicNowMs } from "../common/clock.ts";

/** Seconds: from a fast bot's first audio to a slow reply's end. */
const LATENCY_BUCKETS_S = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30];
/** Seconds: a barge-in stop is fast or it is a failure. */
const STOP_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5];

/** The turn metrics exported, by the turns.csv column they come from. */
const HISTOGRAMS = [
  [
    "ttft_ms",
    "voxbench_ttft_seconds",
    "End of the caller's speech to the reply's first audio",
    LATENCY_BUCKETS_S,
  ],
  [
    "total_ms",
    "voxbench_total_seconds",
    "End of the caller's speech to the reply's last audio",
    LATENCY_BUCKETS_S,
  ],
  [
    "heard_ms",
    "voxbench_heard_seconds",
    "End of the caller's speech to the first speech heard",
    LATENCY_BUCKETS_S,
  ],
  ["stop_ms", "voxbench_stop_seconds", "Interrupting speech onset to the bot's stop", STOP_BUCKETS_S],
  ["resume_ms", "voxbench_resume_seconds", "False alarm's end to the bot's resumed audio", LATENCY_BUCKETS_S],
] as const;

/** How often voxbench's own event loop is sampled for the lag gauge. */
const LAG_SAMPLE_MS = 100;

/**
 * A registry fed from a run's callbacks (`onTurn`, `onCallsChange`).
 *
 * @example
 * ```ts
 * import { RunMetrics } from "./run-metrics.ts";
 * const metrics = new RunMetrics();
 * metrics.callsChanged(1);
 * console.log((await metrics.registry.metrics()).includes("voxbench_calls_in_progress 1")); // true
 * metrics.stop();
 * ```
 */
export class RunMetrics {
  readonly registry = new Registry();
  private readonly turns: Counter<"scenario" | "outcome">;
  private readonly histograms: Histogram<"scenario">[];
  private readonly calls: Gauge;
  private readonly lag: Gauge;
  private callsInProgress = 0;
  private worstLagMs = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor() {
    const registers = [this.registry];
    this.turns = new Counter({
      name: "voxbench_turns_total",
      help: "Turns finished, by scenario and outcome (ok, or the failure)",
      labelNames: ["scenario", "outcome"],
      registers,
    });
    this.histograms = HISTOGRAMS.map(([, name, help, buckets]) =>
      new Histogram({ name, help, labelNames: ["scenario"], buckets: [...buckets], registers })
    );
    this.calls = new Gauge({
      name: "voxbench_calls_in_progress",
      help: "Calls (connections) in progress",
      registers,
    });
    this.lag = new Gauge({
      name: "voxbench_event_loop_lag_seconds",
      help:
        "voxbench's own event-loop lag: the worst since the last scrape (above --max-lag-ms the run is not valid)",
      registers,
      collect: () => {
        this.lag.set(this.worstLagMs / 1000);
        this.worstLagMs = 0;
      },
    });
    let expectedMs = monotonicNowMs() + LAG_SAMPLE_MS;
    this.timer = setInterval(() => {
      const nowMs = monotonicNowMs();
      this.worstLagMs = Math.max(this.worstLagMs, nowMs - expectedMs);
      expectedMs = nowMs + LAG_SAMPLE_MS;
    }, LAG_SAMPLE_MS);
    // The sampler alone must not keep a finished process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Counts a finished turn and observes its latencies. */
  turn(record: TurnRecord): void {
    this.turns.inc({ scenario: record.scenario, outcome: record.outcome });
    HISTOGRAMS.forEach(([column], index) => {
      const value = record[column];
      if (typeof value === "number") {
        this.histograms[index]!.observe({ scenario: record.scenario }, value / 1000);
      }
    });
  }

  /** A call started (+1) or ended (-1). */
  callsChanged(delta: 1 | -1): void {
    this.callsInProgress += delta;
    this.calls.set(this.callsInProgress);
  }

  /** Stops sampling the event loop. */
  stop(): void {
    clearInterval(this.timer);
  }
}
