/**
 * The one monotonic clock every voxbench timestamp comes from. `performance.now()` never jumps
 * with NTP or daylight-saving changes, has sub-millisecond resolution on Node and Deno, and is
 * anchored at `performance.timeOrigin`, so any reading converts to a wall-clock time for exports.
 *
 * @example
 * ```ts
 * import { monotonicNowMs, toIsoTime } from "./clock.ts";
 * const start = monotonicNowMs();
 * console.log(monotonicNowMs() >= start, toIsoTime(start).endsWith("Z")); // true true
 * ```
 */
export type MonotonicClock = () => number;

/** Milliseconds on the process's monotonic clock (fractional). */
export const monotonicNowMs: MonotonicClock = () => performance.now();

/** Converts a monotonic reading to epoch milliseconds. */
export function toEpochMs(monotonicMs: number): number {
  return performance.timeOrigin + monotonicMs;
}

/** Converts a monotonic reading to an ISO-8601 UTC timestamp (millisecond precision). */
export function toIsoTime(monotonicMs: number): string {
  return new Date(Math.round(toEpochMs(monotonicMs))).toISOString();
}
