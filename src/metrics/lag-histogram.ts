import type { Statistics } from "./percentiles.ts";

/** A histogram's content as plain data (it crosses to other threads, and merges exactly). */
export interface LagHistogramData {
  readonly fine: Uint32Array;
  readonly coarse: Uint32Array;
  readonly overflow: number;
  readonly total: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

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
  private fine = new Uint32Array(LagHistogram.FINE_LIMIT_MS / LagHistogram.FINE_STEP_MS);
  private coarse = new Uint32Array(
    (LagHistogram.COARSE_LIMIT_MS - LagHistogram.FINE_LIMIT_MS) / LagHistogram.COARSE_STEP_MS,
  );
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
    else if (value < LagHistogram.COARSE_LIMIT_MS) {
      this.coarse[Math.floor((value - LagHistogram.FINE_LIMIT_MS) / LagHistogram.COARSE_STEP_MS)]!++;
    } else this.overflow++;
  }

  /** The content as plain data. */
  data(): LagHistogramData {
    return {
      fine: this.fine.slice(),
      coarse: this.coarse.slice(),
      overflow: this.overflow,
      total: this.total,
      sum: this.sum,
      min: this.min,
      max: this.max,
    };
  }

  /** A histogram holding `data`. */
  static from(data: LagHistogramData): LagHistogram {
    const histogram = new LagHistogram();
    histogram.absorb(data);
    return histogram;
  }

  /** Adds every lag of `data` (another histogram's): the result is the histogram of both sets. */
  absorb(data: LagHistogramData): void {
    for (let index = 0; index < this.fine.length; index++) this.fine[index]! += data.fine[index] ?? 0;
    for (let index = 0; index < this.coarse.length; index++) this.coarse[index]! += data.coarse[index] ?? 0;
    this.overflow += data.overflow;
    this.total += data.total;
    this.sum += data.sum;
    this.min = Math.min(this.min, data.min);
    this.max = Math.max(this.max, data.max);
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
      if (seen >= rank) {
        return Math.min(this.max, LagHistogram.FINE_LIMIT_MS + (index + 1) * LagHistogram.COARSE_STEP_MS);
      }
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
