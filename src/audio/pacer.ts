import { monotonicNowMs } from "../common/clock.ts";
import { type Scheduler, sharedScheduler } from "../common/deadline-scheduler.ts";

/** Options for {@link paceFrames}. */
export interface PaceOptions {
  /** Frame duration; frame k is due at start + k * frameMs. */
  frameMs: number;
  /** Send everything at once, without pacing. */
  fast?: boolean;
  /** Monotonic time of frame 0; default now. */
  startAtMs?: number;
  scheduler?: Scheduler;
  /** Stops sending further frames (e.g. the caller hung up). */
  signal?: AbortSignal;
}

/** What pacing did: when it ran, and how late each frame left. */
export interface PaceReport {
  readonly startMs: number;
  readonly endMs: number;
  readonly sentCount: number;
  /** Per sent frame: actual send time minus its deadline, in ms. */
  readonly sendLagsMs: readonly number[];
  readonly aborted: boolean;
}

/**
 * The absolute deadline of frame `index`: never derived from when the previous frame actually
 * left, so lateness does not accumulate.
 *
 * @example
 * ```ts
 * import { frameDeadlineMs } from "./pacer.ts";
 * console.log(frameDeadlineMs(1000, 3, 20)); // 1060
 * ```
 */
export function frameDeadlineMs(startMs: number, index: number, frameMs: number): number {
  return startMs + index * frameMs;
}

/**
 * Sends frames in real time, as a microphone produces them: frame k at start + k * frameMs on an
 * absolute deadline, recording each frame's send lag. `fast: true` sends all frames at once.
 *
 * @example
 * ```ts
 * import { paceFrames } from "./pacer.ts";
 * const report = await paceFrames(["a", "b", "c"], (frame) => console.log(frame), { frameMs: 20 });
 * console.log(report.sentCount, report.endMs - report.startMs >= 39); // 3 true
 * ```
 */
export function paceFrames<T>(
  frames: readonly T[],
  send: (frame: T, index: number) => void,
  options: PaceOptions,
): Promise<PaceReport> {
  const startMs = options.startAtMs ?? monotonicNowMs();
  const sendLagsMs: number[] = [];
  if (options.fast) {
    let index = 0;
    for (; index < frames.length && !options.signal?.aborted; index++) {
      send(frames[index]!, index);
      sendLagsMs.push(0);
    }
    return Promise.resolve({
      startMs,
      endMs: monotonicNowMs(),
      sentCount: index,
      sendLagsMs,
      aborted: index < frames.length,
    });
  }
  const scheduler = options.scheduler ?? sharedScheduler;
  return new Promise((resolve, reject) => {
    let index = 0;
    let cancel: (() => void) | undefined;
    const finish = (aborted: boolean): void => {
      options.signal?.removeEventListener("abort", onAbort);
      resolve({ startMs, endMs: monotonicNowMs(), sentCount: index, sendLagsMs, aborted });
    };
    const onAbort = (): void => {
      cancel?.();
      finish(true);
    };
    const scheduleNext = (): void => {
      if (index >= frames.length) return finish(false);
      cancel = scheduler.at(frameDeadlineMs(startMs, index, options.frameMs), (lagMs) => {
        try {
          send(frames[index]!, index);
        } catch (error) {
          options.signal?.removeEventListener("abort", onAbort);
          reject(error);
          return;
        }
        sendLagsMs.push(lagMs);
        index++;
        scheduleNext();
      });
    };
    if (options.signal?.aborted) return finish(true);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    scheduleNext();
  });
}

/**
 * Resolves at an absolute monotonic time (with the lag it actually woke up with): how a caller
 * "speaks" for exactly the duration of its clip.
 *
 * @example
 * ```ts
 * import { sleepUntil } from "./pacer.ts";
 * const lagMs = await sleepUntil(performance.now() + 10);
 * console.log(lagMs < 50); // true
 * ```
 */
export function sleepUntil(
  deadlineMs: number,
  scheduler: Scheduler = sharedScheduler,
  signal?: AbortSignal,
): Promise<number> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(monotonicNowMs() - deadlineMs);
    const onAbort = (): void => {
      cancel();
      resolve(monotonicNowMs() - deadlineMs);
    };
    const cancel = scheduler.at(deadlineMs, (lagMs) => {
      signal?.removeEventListener("abort", onAbort);
      resolve(lagMs);
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
