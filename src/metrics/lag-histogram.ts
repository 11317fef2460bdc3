import type { Statistics } from "./percentiles.ts";

/**
 * Lags of a high-rate event (a streaming caller's frames: 50 a second each) in fixed memory:
 * 0.01 ms buckets up to 100 ms, 1 ms buckets up to 10 s, one overflow bucket. Min, max and mean are
 * exact; percentiles are the upper edge of their bucket (within 0.01 ms below 100 ms).
 *
 * @example
 * ```ts
 * import { LagHistogram } from "./lag-histogram.ts";
 * const lags = new LagHistogram();
 * for (const lagMs of [0.2, 0.4, 3.1]) lags.add(lagMs);
 * console.log(lags.summary()?.max, lags.summary()?.median); // 3.1 0.41
 * ```
 */
export class LagHistogram {
  private static readonly FINE_STEP_MS = 0.01;
  private static readonly FINE_LIMIT_MS = 100;
  private static readonly COARSE_STEP_MS = 1;
  private static readonly COARSE_LIMIT_MS = 10_000;
  private readonly fine = new Uint32Array(LagHistogram.FINE_LIMIT_MS / LagHistogram.FINE_STEP_MS);
  private readonly coarse = new Uint32Array((LagHistogram.COARSE_LIMIT_MS - LagHistogram.FINE_LIMIT_MS) / LagHistogram.COARSE_STEP_MS);
  private overflow = 0;
  private total = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  /** Records one lag (negative lags, a task run a few microseconds early, count as 0). */
  add(lagMs: number): void {
    const value = Math.max(0, lagMs);
    this.total++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value < LagHistogram.FINE_LIMIT_MS) this.fine[Math.floor(value / LagHistogram.FINE_STEP_MS)]!++;
    else if (value < LagHistogram.COARSE_LIMIT_MS) this.coarse[Math.floor((value - LagHistogram.FINE_LIMIT_MS) / LagHistogram.COARSE_STEP_MS)]!++;
    else this.overflow++;
  }

  get count(): number {
    return this.total;
  }

  /** The value below which `percent` of the lags fall (a bucket's upper edge, at most the maximum). */
  percentile(percent: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil((percent / 100) * this.total));
    let seen = 0;
    for (let index = 0; index < this.fine.length; index++) {
      seen += this.fine[index]!;
      if (seen >= rank) return Math.min(this.max, (index + 1) * LagHistogram.FINE_STEP_MS);
    }
    for (let index = 0; index < this.coarse.length; index++) {
      seen += this.coarse[index]!;
      if (seen >= rank) return Math.min(this.max, LagHistogram.FINE_LIMIT_MS + (index + 1) * LagHistogram.COARSE_STEP_MS);
    }
    return this.max;
  }

  /** The statistics of everything recorded, or undefined when nothing was. */
  summary(): Statistics | undefined {
    if (this.total === 0) return undefined;
    return {
      count: this.total,
      min: this.min,
      mean: this.sum / this.total,
      median: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.max,
    };
  }
}
