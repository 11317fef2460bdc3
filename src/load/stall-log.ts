/**
 * When the load generator itself could not run: intervals of its own event loop's stalls, from
 * every decision that ran late (a scheduled frame, a wait's deadline, the health timer). A gap in
 * a reply that a stall explains is the generator's, not the bot's: while the loop is stalled,
 * frames that arrive wait unread, then are all stamped at once.
 *
 * @example
 * ```ts
 * import { StallLog } from "./stall-log.ts";
 * const stalls = new StallLog();
 * stalls.record(100, 130);
 * stalls.record(120, 150);
 * console.log(stalls.overlapMs(0, 140), stalls.overlapMs(150, 200)); // 40 0
 * ```
 */
export class StallLog {
  /** Merged, non-overlapping intervals sorted by start: [start0, end0, start1, end1, ...]. */
  private bounds: number[] = [];
  /** The intervals kept: past twice this many the oldest half goes (a reply's gaps are always recent). */
  static readonly MAX_INTERVALS = 50_000;

  /** Records that the loop could not run from `fromMs` to `toMs`. */
  record(fromMs: number, toMs: number): void {
    if (!(toMs > fromMs)) return;
    const bounds = this.bounds;
    const count = bounds.length / 2;
    // Records come almost in order: merge with the last interval, or insert where it belongs.
    let index = count;
    while (index > 0 && bounds[(index - 1) * 2]! > fromMs) index--;
    if (index > 0 && bounds[(index - 1) * 2 + 1]! >= fromMs) {
      index--;
      bounds[index * 2 + 1] = Math.max(bounds[index * 2 + 1]!, toMs);
    } else {
      bounds.splice(index * 2, 0, fromMs, toMs);
    }
    // Absorb the intervals the grown one now reaches.
    while (index + 1 < bounds.length / 2 && bounds[(index + 1) * 2]! <= bounds[index * 2 + 1]!) {
      bounds[index * 2 + 1] = Math.max(bounds[index * 2 + 1]!, bounds[(index + 1) * 2 + 1]!);
      bounds.splice((index + 1) * 2, 2);
    }
    if (bounds.length > 4 * StallLog.MAX_INTERVALS) this.bounds = bounds.slice(2 * StallLog.MAX_INTERVALS);
  }

  /** How much of [fromMs, toMs] the loop spent stalled. */
  overlapMs(fromMs: number, toMs: number): number {
    const bounds = this.bounds;
    let low = 0;
    let high = bounds.length / 2;
    // The first interval that ends after fromMs.
    while (low < high) {
      const middle = (low + high) >> 1;
      if (bounds[middle * 2 + 1]! <= fromMs) low = middle + 1;
      else high = middle;
    }
    let total = 0;
    for (let index = low; index < bounds.length / 2 && bounds[index * 2]! < toMs; index++) {
      total += Math.min(toMs, bounds[index * 2 + 1]!) - Math.max(fromMs, bounds[index * 2]!);
    }
    return total;
  }
}
