import process from "node:process";
import { monotonicNowMs } from "../common/clock.ts";
import { callerScheduler, DeadlineScheduler } from "../common/deadline-scheduler.ts";
import { StallLog } from "./stall-log.ts";
import { type Statistics, summarize } from "../metrics/percentiles.ts";
import type { TurnTimingSink } from "../scenarios/turn-context.ts";
import type { VoiceTiming } from "../session/voice.ts";
import { LagHistogram, type LagHistogramData } from "../metrics/lag-histogram.ts";

/** One event loop's own figures (a worker's, with --workers). */
export interface LoopHealth {
  /** The worker's number, from 0 (absent without --workers). */
  readonly worker?: number;
  readonly callers?: number;
  readonly valid: boolean;
  readonly reasons: readonly string[];
  /** How late a 20 ms timer fired: every socket timestamp can be this late too. */
  readonly eventLoopLagMs: Statistics | null;
  /** How late each utterance's end of speech left its deadline. */
  readonly speechSendLagMs: Statistics | null;
  /** The end-of-speech frame: ws.send() called -> written to the socket. */
  readonly sendOverheadMs: Statistics | null;
  /** How late each frame of a real-time stream left its deadline (streaming protocols); null otherwise. */
  readonly frameSendLagMs: Statistics | null;
}

/** Whether the load generator kept up, so its numbers can be trusted. */
export interface GeneratorHealth extends LoopHealth {
  readonly maxLagMs: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  /** With --workers: each worker's own figures (the ones above are of every sample of all of them). */
  readonly workers?: readonly LoopHealth[];
}

/** Every raw sample one event loop took: what is merged, exactly, across workers. */
export interface HealthSamples {
  readonly loopLagsMs: readonly number[];
  readonly speechSendLagsMs: readonly number[];
  readonly sendOverheadsMs: readonly number[];
  readonly frameLags: LagHistogramData;
}

const LAG_SAMPLE_MS = 20;

/**
 * Judges samples against `maxLagMs`: the statistics of every raw sample, and the reasons the run is
 * not valid (event-loop, utterance or frame send lag p99 above the limit).
 *
 * @example
 * ```ts
 * import { judgeLoop } from "./health.ts";
 * import { LagHistogram } from "../metrics/lag-histogram.ts";
 * const health = judgeLoop({ loopLagsMs: [1, 2, 40], speechSendLagsMs: [], sendOverheadsMs: [], frameLags: new LagHistogram().data() }, 25);
 * console.log(health.valid); // false
 * ```
 */
export function judgeLoop(samples: HealthSamples, maxLagMs: number): LoopHealth {
  const eventLoopLagMs = summarize(samples.loopLagsMs) ?? null;
  const speechSendLagMs = summarize(samples.speechSendLagsMs) ?? null;
  const frameSendLagMs = LagHistogram.from(samples.frameLags).summary() ?? null;
  const reasons: string[] = [];
  if (eventLoopLagMs && eventLoopLagMs.p99 > maxLagMs) {
    reasons.push(
      `event-loop lag p99 ${
        eventLoopLagMs.p99.toFixed(1)
      } ms > ${maxLagMs} ms: socket timestamps were taken late`,
    );
  }
  if (speechSendLagMs && speechSendLagMs.p99 > maxLagMs) {
    reasons.push(
      `speech send lag p99 ${speechSendLagMs.p99.toFixed(1)} ms > ${maxLagMs} ms: utterances left late`,
    );
  }
  if (frameSendLagMs && frameSendLagMs.p99 > maxLagMs) {
    reasons.push(
      `frame send lag p99 ${frameSendLagMs.p99.toFixed(1)} ms > ${maxLagMs} ms: streamed audio left late`,
    );
  }
  return {
    valid: reasons.length === 0,
    reasons,
    eventLoopLagMs,
    speechSendLagMs,
    sendOverheadMs: summarize(samples.sendOverheadsMs) ?? null,
    frameSendLagMs,
  };
}

/**
 * Merges the samples of several event loops (workers) into one set: every raw sample kept, never an
 * average of percentiles.
 */
export function mergeSamples(parts: readonly HealthSamples[]): HealthSamples {
  const frameLags = new LagHistogram();
  for (const part of parts) frameLags.absorb(part.frameLags);
  return {
    loopLagsMs: parts.flatMap((part) => part.loopLagsMs),
    speechSendLagsMs: parts.flatMap((part) => part.speechSendLagsMs),
    sendOverheadsMs: parts.flatMap((part) => part.sendOverheadsMs),
    frameLags: frameLags.data(),
  };
}

/**
 * Watches one event loop of the generator while it runs: its lag (a timer every 20 ms, lateness
 * recorded), the send lag of every utterance and frame, and its stalls (every caller decision that
 * ran late). Process CPU and peak RSS are watched by {@link ProcessWatch}.
 *
 * `onLoopLag`, when given, hears each lag sample as it is taken (the monotonic time of the sample
 * and the lag recorded, ms), so a per-window record (the timeline) can place it in time.
 *
 * @example
 * ```ts
 * import { HealthMonitor, judgeLoop } from "./health.ts";
 * const monitor = new HealthMonitor();
 * monitor.start();
 * console.log(judgeLoop(monitor.stop(), 25).valid); // true
 * ```
 */
export class HealthMonitor implements TurnTimingSink, VoiceTiming {
  private readonly loopLags: number[] = [];
  private readonly sendLags: number[] = [];
  private readonly overheads: number[] = [];
  private readonly frameLags = new LagHistogram();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly stalls = new StallLog();
  private stopWatchingScheduler: (() => void) | undefined;

  constructor(private readonly onLoopLag?: (atMs: number, lagMs: number) => void) {}

  start(): void {
    // Every caller decision that ran late marks a stall (frames, waits, sleeps), not only the timer below.
    this.stopWatchingScheduler = callerScheduler.onLate((deadlineMs, lagMs) =>
      this.stalls.record(deadlineMs, deadlineMs + lagMs)
    );
    const schedule = (): void => {
      const expectedMs = monotonicNowMs() + LAG_SAMPLE_MS;
      this.timer = setTimeout(() => {
        // Timers have 1 ms granularity: lateness under 1 ms is the timer, not the loop.
        const nowMs = monotonicNowMs();
        const lagMs = Math.max(0, nowMs - expectedMs);
        this.loopLags.push(lagMs);
        this.onLoopLag?.(nowMs, lagMs);
        if (nowMs - expectedMs > DeadlineScheduler.LATE_MS) this.stalls.record(expectedMs, nowMs);
        schedule();
      }, LAG_SAMPLE_MS);
    };
    schedule();
  }

  speechSendLag(lagMs: number): void {
    this.sendLags.push(Math.max(0, lagMs));
  }

  sendOverhead(overheadMs: number): void {
    this.overheads.push(overheadMs);
  }

  frameSendLag(lagMs: number): void {
    this.frameLags.add(lagMs);
  }

  /** How long the generator's loop was stalled within [fromMs, toMs]. */
  stalledMs(fromMs: number, toMs: number): number {
    return this.stalls.overlapMs(fromMs, toMs);
  }

  /** Stops watching; the raw samples taken. */
  stop(): HealthSamples {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.stopWatchingScheduler?.();
    return {
      loopLagsMs: this.loopLags,
      speechSendLagsMs: this.sendLags,
      sendOverheadsMs: this.overheads,
      frameLags: this.frameLags.data(),
    };
  }
}

/**
 * The process's CPU time and peak RSS over a run (all threads: with --workers, every worker's).
 *
 * @example
 * ```ts
 * import { ProcessWatch } from "./health.ts";
 * const watch = new ProcessWatch();
 * console.log(watch.stop().cpuSeconds >= 0); // true
 * ```
 */
export class ProcessWatch {
  private readonly cpuStart = process.cpuUsage();
  private peakRssBytes = process.memoryUsage().rss;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor() {
    this.timer = setInterval(
      () => (this.peakRssBytes = Math.max(this.peakRssBytes, process.memoryUsage().rss)),
      500,
    );
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): { cpuSeconds: number; peakRssBytes: number } {
    clearInterval(this.timer);
    const cpu = process.cpuUsage(this.cpuStart);
    return {
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: Math.max(this.peakRssBytes, process.memoryUsage().rss),
    };
  }
}
