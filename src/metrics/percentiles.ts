/**
 * Percentiles of raw samples by linear interpolation between closest ranks: the R-7 / "type 7"
 * method that numpy, Excel's PERCENTILE.INC and Google Sheets use, so a user can reproduce every
 * figure from turns.csv in a spreadsheet.
 *
 * @example
 * ```ts
 * import { percentile } from "./percentiles.ts";
 * console.log(percentile([1, 2, 3, 4], 50)); // 2.5
 * ```
 */
export function percentile(values: readonly number[], percent: number): number {
  return percentileOfSorted([...values].sort((a, b) => a - b), percent);
}

/** As {@link percentile}, for values already sorted ascending (no copy). NaN when empty. */
export function percentileOfSorted(sorted: readonly number[], percent: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (percent < 0 || percent > 100) throw new RangeError(`percentile must be within 0-100, got ${percent}`);
  const rank = (percent / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const fraction = rank - lower;
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * fraction;
}

/** The statistics voxbench reports for every metric (the old report's rows). */
export interface Statistics {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly median: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Count, min, mean, median, p95, p99 and max of raw samples; undefined when there are none.
 *
 * @example
 * ```ts
 * import { summarize } from "./percentiles.ts";
 * console.log(summarize([10, 20, 30])?.median); // 20
 * ```
 */
export function summarize(values: readonly number[]): Statistics | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean: sum / sorted.length,
    median: percentileOfSorted(sorted, 50),
    p95: percentileOfSorted(sorted, 95),
    p99: percentileOfSorted(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}
