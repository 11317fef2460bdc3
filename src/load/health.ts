import process from "node:process";
import { monotonicNowMs } from "../common/clock.ts";
import { callerScheduler, DeadlineScheduler } from "../common/deadline-scheduler.ts";
import { StallLog } from "./stall-log.ts";
import { summarize, type Statistics } from "../metrics/percentiles.ts";
import type { TurnTimingSink } from "../scenarios/turn-context.ts";
import type { VoiceTiming } from "../session/voice.ts";
import { LagHistogram } from "../metrics/lag-histogram.ts";

/** Whether the load generator kept up, so its numbers can be trusted. */
export interface GeneratorHealth {
  readonly valid: boolean;
  /** Why the run is not valid (empty when it is). */
  readonly reasons: readonly string[];
  readonly maxLagMs: number;
  /** How late a 20 ms timer fired: every socket timestamp can be this late too. */
  readonly eventLoopLagMs: Statistics | null;
  /** How late each speech_end left its deadline (the end of the utterance). */
  readonly speechSendLagMs: Statistics | null;
  /** speech_end: ws.send() called -> written to the socket. */
  readonly sendOverheadMs: Statistics | null;
  /** How late each frame of a real-time stream left its deadline (streaming protocols); null otherwise. */
  readonly frameSendLagMs: Statistics | null;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
}

const LAG_SAMPLE_MS = 20;

/**
 * Watches the generator while it runs: event-loop lag (a timer every 20 ms, lateness recorded),
 * the send lag of every utterance, CPU time and peak RSS.
 *
 * @example
 * ```ts
 * import { HealthMonitor } from "./health.ts";
 * const monitor = new HealthMonitor(25);
 * monitor.start();
 * const health = monitor.stop();
 * console.log(health.valid); // true
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
  private cpuStart = process.cpuUsage();
  private peakRssBytes = 0;
  private samples = 0;

  constructor(private readonly maxLagMs: number) {}

  start(): void {
    this.cpuStart = process.cpuUsage();
    // Every caller decision that ran late marks a stall (frames, waits, sleeps), not only the timer below.
    this.stopWatchingScheduler = callerScheduler.onLate((deadlineMs, lagMs) => this.stalls.record(deadlineMs, deadlineMs + lagMs));
    const schedule = (): void => {
      const expectedMs = monotonicNowMs() + LAG_SAMPLE_MS;
      this.timer = setTimeout(() => {
        // Timers have 1 ms granularity: lateness under 1 ms is the timer, not the loop.
        const nowMs = monotonicNowMs();
        this.loopLags.push(Math.max(0, nowMs - expectedMs));
        if (nowMs - expectedMs > DeadlineScheduler.LATE_MS) this.stalls.record(expectedMs, nowMs);
        if (this.samples++ % 25 === 0) this.peakRssBytes = Math.max(this.peakRssBytes, process.memoryUsage().rss);
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

  stop(): GeneratorHealth {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.stopWatchingScheduler?.();
    this.peakRssBytes = Math.max(this.peakRssBytes, process.memoryUsage().rss);
    const cpu = process.cpuUsage(this.cpuStart);
    const eventLoopLagMs = summarize(this.loopLags) ?? null;
    const speechSendLagMs = summarize(this.sendLags) ?? null;
    const reasons: string[] = [];
    if (eventLoopLagMs && eventLoopLagMs.p99 > this.maxLagMs) {
      reasons.push(`event-loop lag p99 ${eventLoopLagMs.p99.toFixed(1)} ms > ${this.maxLagMs} ms: socket timestamps were taken late`);
    }
    if (speechSendLagMs && speechSendLagMs.p99 > this.maxLagMs) {
      reasons.push(`speech send lag p99 ${speechSendLagMs.p99.toFixed(1)} ms > ${this.maxLagMs} ms: utterances left late`);
    }
    const frameSendLagMs = this.frameLags.summary() ?? null;
    if (frameSendLagMs && frameSendLagMs.p99 > this.maxLagMs) {
      reasons.push(`frame send lag p99 ${frameSendLagMs.p99.toFixed(1)} ms > ${this.maxLagMs} ms: streamed audio left late`);
    }
    return {
      valid: reasons.length === 0,
      reasons,
      maxLagMs: this.maxLagMs,
      eventLoopLagMs,
      speechSendLagMs,
      sendOverheadMs: summarize(this.overheads) ?? null,
      frameSendLagMs,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssBytes: this.peakRssBytes,
    };
  }
}
