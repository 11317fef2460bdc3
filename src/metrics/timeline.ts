import { type Statistics, summarize } from "./percentiles.ts";
import type { TurnRecord } from "./turn-record.ts";

/** The latency metrics followed window by window. */
export const TIMELINE_METRICS = ["ttft_ms", "total_ms", "heard_ms", "stop_ms"] as const;
type TimelineMetric = (typeof TIMELINE_METRICS)[number];

/** One window's raw samples: what workers send back, merged exactly. */
export interface WindowSamples {
  readonly index: number;
  arrivals: number;
  dropped: number;
  callsStarted: number;
  callsEnded: number;
  /** Calls in progress at the window's end, and the most at any moment in it. */
  activeAtEnd: number;
  maxActive: number;
  turns: number;
  readonly outcomes: Record<string, number>;
  readonly samples: Record<TimelineMetric, number[]>;
  /** The generator's own event-loop lag samples taken in the window (the 20 ms timer's lateness). */
  readonly loopLagsMs: number[];
}

/** A run's windows of raw samples. */
export interface TimelineSamples {
  readonly windowMs: number;
  readonly windows: WindowSamples[];
}

/** One window as reported (summary.json's `timeline`, timeline.csv). */
export interface TimelineWindow {
  /** The window's start, seconds from the run's start. */
  readonly startS: number;
  readonly arrivals: number;
  readonly droppedCalls: number;
  readonly callsStarted: number;
  readonly callsEnded: number;
  readonly activeCalls: number;
  readonly maxActiveCalls: number;
  readonly turns: number;
  readonly ok: number;
  readonly failed: number;
  readonly outcomes: Readonly<Record<string, number>>;
  readonly metrics: Readonly<Record<TimelineMetric, Statistics | null>>;
  /** p99 and max of the generator's event-loop lag in the window; null without a sample. */
  readonly loopLagP99Ms: number | null;
  readonly loopLagMaxMs: number | null;
  /** Whether voxbench itself fell behind in the window: its loop-lag p99 above the run's max lag. */
  readonly generatorLagged: boolean;
}

function emptyWindow(index: number, active: number): WindowSamples {
  return {
    index,
    arrivals: 0,
    dropped: 0,
    callsStarted: 0,
    callsEnded: 0,
    activeAtEnd: active,
    maxActive: active,
    turns: 0,
    outcomes: {},
    samples: { ttft_ms: [], total_ms: [], heard_ms: [], stop_ms: [] },
    loopLagsMs: [],
  };
}

/**
 * Records a run window by window as it happens: calls arriving, starting and ending (calls in
 * progress), each finished turn (its outcome, and its latencies as raw samples) in the window
 * where it finished, and the generator's own event-loop lag samples in the window where each was
 * taken. Times are monotonic ms; window k covers [origin + k x windowMs, + windowMs).
 *
 * @example
 * ```ts
 * import { TimelineRecorder } from "./timeline.ts";
 * const timeline = new TimelineRecorder(0, 1000);
 * timeline.callStarted(100);
 * timeline.callEnded(1500);
 * console.log(timeline.samples().windows.map((window) => window.maxActive)); // [1, 1]
 * ```
 */
export class TimelineRecorder {
  private readonly windows: WindowSamples[] = [];
  private active = 0;

  constructor(
    private readonly originMs: number,
    private readonly windowMs: number,
  ) {}

  private at(atMs: number): WindowSamples {
    const index = Math.max(0, Math.floor((atMs - this.originMs) / this.windowMs));
    while (this.windows.length <= index) this.windows.push(emptyWindow(this.windows.length, this.active));
    return this.windows[index]!;
  }

  arrival(atMs: number): void {
    this.at(atMs).arrivals++;
  }

  dropped(atMs: number): void {
    this.at(atMs).dropped++;
  }

  callStarted(atMs: number): void {
    const window = this.at(atMs);
    this.active++;
    window.callsStarted++;
    window.activeAtEnd = this.active;
    window.maxActive = Math.max(window.maxActive, this.active);
  }

  callEnded(atMs: number): void {
    const window = this.at(atMs);
    this.active--;
    window.callsEnded++;
    window.activeAtEnd = this.active;
  }

  turn(record: TurnRecord, atMs: number): void {
    const window = this.at(atMs);
    window.turns++;
    window.outcomes[record.outcome] = (window.outcomes[record.outcome] ?? 0) + 1;
    for (const metric of TIMELINE_METRICS) {
      const value = record[metric];
      if (value !== null) window.samples[metric].push(value);
    }
  }

  /** One event-loop lag sample of the generator (HealthMonitor's onLoopLag), taken at `atMs`. */
  loopLag(atMs: number, lagMs: number): void {
    this.at(atMs).loopLagsMs.push(lagMs);
  }

  /** The windows so far, up to the one holding `untilMs` (default: the last with an event). */
  samples(untilMs?: number): TimelineSamples {
    if (untilMs !== undefined) this.at(untilMs);
    return { windowMs: this.windowMs, windows: this.windows };
  }
}

/**
 * Windows of several recorders over the same origin (worker threads): counts added, raw samples
 * put together; calls in progress are added window by window (the most at once is the sum of each
 * part's most, an upper bound).
 */
export function mergeTimelines(parts: readonly TimelineSamples[]): TimelineSamples | undefined {
  const first = parts[0];
  if (!first) return undefined;
  const length = Math.max(...parts.map((part) => part.windows.length));
  const windows: WindowSamples[] = [];
  for (let index = 0; index < length; index++) {
    const merged = emptyWindow(index, 0);
    merged.maxActive = 0;
    for (const part of parts) {
      // A part with no event this late still has its calls in progress at its last window's end.
      const window = part.windows[index] ?? emptyWindow(index, part.windows.at(-1)?.activeAtEnd ?? 0);
      merged.arrivals += window.arrivals;
      merged.dropped += window.dropped;
      merged.callsStarted += window.callsStarted;
      merged.callsEnded += window.callsEnded;
      merged.activeAtEnd += window.activeAtEnd;
      merged.maxActive += window.maxActive;
      merged.turns += window.turns;
      for (const [outcome, count] of Object.entries(window.outcomes)) {
        merged.outcomes[outcome] = (merged.outcomes[outcome] ?? 0) + count;
      }
      for (const metric of TIMELINE_METRICS) merged.samples[metric].push(...window.samples[metric]);
      merged.loopLagsMs.push(...window.loopLagsMs);
    }
    windows.push(merged);
  }
  return { windowMs: first.windowMs, windows };
}

/**
 * The reported windows: counts, each latency's statistics from its raw samples, and the generator's
 * loop lag (p99, max) from its raw samples. A window is `generatorLagged` when that p99 is above
 * `maxLagMs` (the run's --max-lag-ms), so its figures may be voxbench's lateness, not the bot's;
 * without `maxLagMs`, no window is.
 *
 * @example
 * ```ts
 * import { summarizeTimeline, TimelineRecorder } from "./timeline.ts";
 * const timeline = new TimelineRecorder(0, 5000);
 * timeline.loopLag(6000, 40);
 * const windows = summarizeTimeline(timeline.samples(12_000), 25);
 * console.log(windows.map((window) => window.startS)); // [0, 5, 10]
 * console.log(windows.map((window) => window.generatorLagged)); // [false, true, false]
 * ```
 */
export function summarizeTimeline(samples: TimelineSamples, maxLagMs?: number): TimelineWindow[] {
  return samples.windows.map((window) => {
    const ok = window.outcomes.ok ?? 0;
    const metrics = {} as Record<TimelineMetric, Statistics | null>;
    for (const metric of TIMELINE_METRICS) metrics[metric] = summarize(window.samples[metric]) ?? null;
    const loopLagMs = summarize(window.loopLagsMs);
    const loopLagP99Ms = loopLagMs?.p99 ?? null;
    return {
      startS: (window.index * samples.windowMs) / 1000,
      arrivals: window.arrivals,
      droppedCalls: window.dropped,
      callsStarted: window.callsStarted,
      callsEnded: window.callsEnded,
      activeCalls: window.activeAtEnd,
      maxActiveCalls: window.maxActive,
      turns: window.turns,
      ok,
      failed: window.turns - ok,
      outcomes: { ...window.outcomes },
      metrics,
      loopLagP99Ms,
      loopLagMaxMs: loopLagMs?.max ?? null,
      generatorLagged: loopLagP99Ms !== null && maxLagMs !== undefined && loopLagP99Ms > maxLagMs,
    };
  });
}

/** The columns of timeline.csv. */
export const TIMELINE_COLUMNS = [
  "start_s",
  "active_calls",
  "max_active_calls",
  "arrivals",
  "dropped_calls",
  "calls_started",
  "calls_ended",
  "turns",
  "ok",
  "failed",
  ...TIMELINE_METRICS.flatMap((metric) =>
    ["p50", "p95", "p99"].map((stat) => `${metric.replace(/_ms$/, "")}_${stat}_ms`)
  ),
  "loop_lag_p99_ms",
  "loop_lag_max_ms",
  "generator_lagged",
] as const;

/**
 * timeline.csv: a header, then one row per window.
 *
 * @example
 * ```ts
 * import { summarizeTimeline, TimelineRecorder, timelineCsv } from "./timeline.ts";
 * console.log(timelineCsv(summarizeTimeline(new TimelineRecorder(0, 5000).samples(0))).split("\n")[0]?.startsWith("start_s,active_calls")); // true
 * ```
 */
export function timelineCsv(windows: readonly TimelineWindow[]): string {
  const round = (
    value: number | undefined,
  ): string => (value === undefined ? "" : String(Math.round(value * 1000) / 1000));
  const rows = windows.map((window) =>
    [
      window.startS,
      window.activeCalls,
      window.maxActiveCalls,
      window.arrivals,
      window.droppedCalls,
      window.callsStarted,
      window.callsEnded,
      window.turns,
      window.ok,
      window.failed,
      ...TIMELINE_METRICS.flatMap((metric) => {
        const stats = window.metrics[metric];
        return [round(stats?.median), round(stats?.p95), round(stats?.p99)];
      }),
      round(window.loopLagP99Ms ?? undefined),
      round(window.loopLagMaxMs ?? undefined),
      window.generatorLagged,
    ].join(",")
  );
  return [TIMELINE_COLUMNS.join(","), ...rows].join("\n") + "\n";
}
