/**
 * Tests on success rates: is a candidate's share of ok turns really lower than a baseline's, or
 * could chance alone explain the drop? Per-turn 1/0 values are all ties, which rank tests handle
 * poorly; Fisher's exact test is made for them and is exact at every sample size.
 */

/** Successes out of trials: ok turns out of turns. */
export interface ProportionCounts {
  readonly successes: number;
  readonly trials: number;
}

/** ln(n!) for n below this is an exact sum of logarithms (tabled); above, Stirling's series. */
const TABLED_FACTORIALS = 256;
const LOG_FACTORIALS = new Float64Array(TABLED_FACTORIALS);
for (let n = 2; n < TABLED_FACTORIALS; n++) LOG_FACTORIALS[n] = LOG_FACTORIALS[n - 1]! + Math.log(n);

/**
 * ln(n!), accurate to about 1e-15 relative: large counts stay finite where n! overflows.
 *
 * @example
 * ```ts
 * import { logFactorial } from "./proportions.ts";
 * console.log(Math.exp(logFactorial(5))); // ≈ 120
 * ```
 */
export function logFactorial(n: number): number {
  if (n < TABLED_FACTORIALS) return LOG_FACTORIALS[n]!;
  // Stirling's series; at n >= 256 the first omitted term is below 1e-20.
  const inverse = 1 / n;
  const inverseSquared = inverse * inverse;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) +
    inverse * (1 / 12 - inverseSquared * (1 / 360 - inverseSquared / 1260));
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
}

function checkCounts(name: string, counts: ProportionCounts): void {
  const { successes, trials } = counts;
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || successes < 0 || successes > trials) {
    throw new RangeError(
      `${name}: successes must be a whole number from 0 to trials (got ${successes} of ${trials})`,
    );
  }
}

/**
 * Fisher's exact test, one-sided for a drop: the probability, if both runs had the same success
 * rate, of the candidate having as few successes as it did or fewer (given the total successes,
 * the candidate's count is hypergeometric). Small means the drop is real. 1 when either side has
 * no trials.
 *
 * @example
 * ```ts
 * import { fisherExactDropP } from "./proportions.ts";
 * // 12 of 12 ok, then 7 of 12: C(12, 7) / C(24, 19) = 792 / 42504
 * console.log(fisherExactDropP({ successes: 12, trials: 12 }, { successes: 7, trials: 12 }).toFixed(4)); // "0.0186"
 * ```
 */
export function fisherExactDropP(baseline: ProportionCounts, candidate: ProportionCounts): number {
  checkCounts("baseline", baseline);
  checkCounts("candidate", candidate);
  if (baseline.trials === 0 || candidate.trials === 0) return 1;
  const trials = baseline.trials + candidate.trials;
  const successes = baseline.successes + candidate.successes;
  const logTotal = logChoose(trials, successes);
  const probability = (candidateSuccesses: number): number =>
    Math.exp(
      logChoose(candidate.trials, candidateSuccesses) +
        logChoose(baseline.trials, successes - candidateSuccesses) - logTotal,
    );
  const fewest = Math.max(0, successes - baseline.trials);
  // Below the mode the terms only shrink: stop once they no longer change the sum.
  const mode = Math.floor(((candidate.trials + 1) * (successes + 1)) / (trials + 2));
  let p = 0;
  for (let count = candidate.successes; count >= fewest; count--) {
    const term = probability(count);
    p += term;
    if (count < mode && term < p * 1e-17) break;
  }
  return Math.min(1, p);
}
