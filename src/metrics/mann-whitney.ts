/**
 * The Mann-Whitney U test (Wilcoxon rank-sum): do two sets of samples come from the same
 * distribution? It assumes nothing about the shape (latencies are skewed and multi-modal), which is
 * why `voxbench compare` uses it to tell a real shift from noise.
 *
 * Two-sided p-value: exact (by counting arrangements) when both samples are small and untied;
 * otherwise the normal approximation with tie correction and continuity correction (as R's
 * wilcox.test(exact = FALSE, correct = TRUE) and scipy's mannwhitneyu(method="asymptotic")).
 */
export interface MannWhitneyResult {
  /** U of the first sample (the number of pairs where it is greater, ties counting one half). */
  readonly u: number;
  /** Two-sided p-value. */
  readonly p: number;
  readonly method: "exact" | "normal";
}

const EXACT_LIMIT = 50;

function ranks(values: readonly number[]): { ranks: Float64Array; tieTerm: number } {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const result = new Float64Array(values.length);
  let tieTerm = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]!.value === order[start]!.value) end++;
    const rank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) result[order[i]!.index] = rank;
    const tied = end - start + 1;
    tieTerm += tied ** 3 - tied;
    start = end + 1;
  }
  return { ranks: result, tieTerm };
}

/** P(U <= u) under the null hypothesis, counting arrangements (no ties). */
function exactCdf(u: number, n1: number, n2: number): number {
  // counts[i][j][k]: arrangements of i + j values with U = k, built up by the usual recursion.
  let previous: Float64Array[] = Array.from({ length: n2 + 1 }, () => new Float64Array(n1 * n2 + 1));
  for (let j = 0; j <= n2; j++) previous[j]![0] = 1;
  for (let i = 1; i <= n1; i++) {
    const current: Float64Array[] = Array.from({ length: n2 + 1 }, () => new Float64Array(n1 * n2 + 1));
    current[0]![0] = 1;
    for (let j = 1; j <= n2; j++) {
      for (let k = 0; k <= i * j; k++) {
        // The largest value is from sample 1 (adds j to U) or from sample 2 (adds 0).
        current[j]![k] = (k >= j ? previous[j]![k - j]! : 0) + current[j - 1]![k]!;
      }
    }
    previous = current;
  }
  const counts = previous[n2]!;
  let total = 0;
  let below = 0;
  for (let k = 0; k < counts.length; k++) {
    total += counts[k]!;
    if (k <= u) below += counts[k]!;
  }
  return below / total;
}

/** The standard normal upper tail, P(Z > z) (Abramowitz & Stegun 7.1.26 via erfc, error < 1.5e-7). */
export function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-x * x);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/**
 * Runs the test on two samples.
 *
 * @example
 * ```ts
 * import { mannWhitneyU } from "./mann-whitney.ts";
 * const result = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
 * console.log(result.u, result.p.toFixed(5)); // 0 "0.00794" (exact: 2 / C(10, 5))
 * ```
 */
export function mannWhitneyU(first: readonly number[], second: readonly number[]): MannWhitneyResult {
  const n1 = first.length;
  const n2 = second.length;
  if (n1 === 0 || n2 === 0) return { u: 0, p: 1, method: "normal" };
  const { ranks: allRanks, tieTerm } = ranks([...first, ...second]);
  let rankSum = 0;
  for (let i = 0; i < n1; i++) rankSum += allRanks[i]!;
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  if (tieTerm === 0 && n1 <= EXACT_LIMIT && n2 <= EXACT_LIMIT) {
    const lower = Math.min(u, n1 * n2 - u);
    return { u, p: Math.min(1, 2 * exactCdf(lower, n1, n2)), method: "exact" };
  }
  const n = n1 + n2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, p: 1, method: "normal" };
  const z = (Math.abs(u - mean) - 0.5) / Math.sqrt(variance);
  return { u, p: Math.min(1, 2 * normalUpperTail(Math.max(0, z))), method: "normal" };
}

/**
 * How clearly a sample scaled by `factor` stands above the sample itself: the probability that a
 * value of the scaled copy is larger than a value of the original (ties count one half). 0.5 is
 * no visible shift, 1 a complete one. `voxbench compare` uses it to ask, from the baseline's own
 * spread, how big a change of --max-regression looks to the test.
 *
 * @example
 * ```ts
 * import { scaleShiftEffect } from "./mann-whitney.ts";
 * console.log(scaleShiftEffect([100, 200, 300], 1.1)); // 0.6666666666666666 (6 of 9 pairs)
 * ```
 */
export function scaleShiftEffect(sample: readonly number[], factor: number): number {
  const count = sample.length;
  if (count === 0) return 0.5;
  const { ranks: allRanks } = ranks([...sample.map((value) => value * factor), ...sample]);
  let rankSum = 0;
  for (let i = 0; i < count; i++) rankSum += allRanks[i]!;
  return (rankSum - (count * (count + 1)) / 2) / (count * count);
}

/**
 * The two-sided p-value the test typically gives (normal approximation) for samples of these
 * sizes when one sample's values beat the other's with probability `effect` (see
 * {@link scaleShiftEffect}): U lands on average at effect x n1 x n2, and its spread under the null
 * hypothesis shrinks as the samples grow.
 *
 * @example
 * ```ts
 * import { expectedMannWhitneyP } from "./mann-whitney.ts";
 * console.log(expectedMannWhitneyP(0.6, 20, 20) > 0.01, expectedMannWhitneyP(0.6, 500, 500) < 0.01); // true true
 * ```
 */
export function expectedMannWhitneyP(effect: number, firstCount: number, secondCount: number): number {
  if (firstCount === 0 || secondCount === 0) return 1;
  const spread = Math.sqrt((firstCount + secondCount + 1) / (12 * firstCount * secondCount));
  return Math.min(1, 2 * normalUpperTail(Math.abs(effect - 0.5) / spread));
}
