import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fisherExactDropP, logFactorial } from "../../src/metrics/proportions.ts";

const close = (actual: number, expected: number, relativeTolerance: number): void =>
  assert.ok(
    Math.abs(actual - expected) <= relativeTolerance * expected,
    `${actual} != ${expected} ± ${relativeTolerance * 100}%`,
  );

/** C(n, k) exactly, as a BigInt. */
function choose(n: number, k: number): bigint {
  let result = 1n;
  for (let i = 1; i <= k; i++) result = (result * BigInt(n - k + i)) / BigInt(i);
  return result;
}

/** The one-sided Fisher p-value by exact integer arithmetic (independent of logFactorial). */
function exactDropP(
  baselineOk: number,
  baselineTrials: number,
  candidateOk: number,
  candidateTrials: number,
): number {
  const successes = baselineOk + candidateOk;
  let tail = 0n;
  for (let count = Math.max(0, successes - baselineTrials); count <= candidateOk; count++) {
    tail += choose(candidateTrials, count) * choose(baselineTrials, successes - count);
  }
  const total = choose(baselineTrials + candidateTrials, successes);
  // Scaled before the integer division so that even a p-value near 1e-16 keeps 20 digits.
  return Number((tail * 10n ** 40n) / total) / 1e40;
}

describe("Fisher's exact test, one-sided for a drop", () => {
  test("known values worked out by hand", () => {
    // 12/12 then 7/12: the only table as extreme, C(12, 7) x C(12, 12) / C(24, 19) = 792 / 42504.
    close(fisherExactDropP({ successes: 12, trials: 12 }, { successes: 7, trials: 12 }), 792 / 42504, 1e-12);
    // 3/3 then 0/3: 1 / C(6, 3).
    close(fisherExactDropP({ successes: 3, trials: 3 }, { successes: 0, trials: 3 }), 1 / 20, 1e-12);
    // Fisher's tea tasting, 3/4 then 1/4: (C(4,0) C(4,4) + C(4,1) C(4,3)) / C(8,4) = 17 / 70.
    close(fisherExactDropP({ successes: 3, trials: 4 }, { successes: 1, trials: 4 }), 17 / 70, 1e-12);
    // Equal rates 5/10 and 5/10: half the mass plus half the middle term, (1 + C(10,5)^2 / C(20,10)) / 2.
    close(
      fisherExactDropP({ successes: 5, trials: 10 }, { successes: 5, trials: 10 }),
      (1 + 63504 / 184756) / 2,
      1e-12,
    );
  });

  test("agrees with scipy.stats.fisher_exact(alternative='greater') and with exact integer arithmetic", () => {
    const cases: [number, number, number, number, number][] = [
      [90, 100, 80, 100, 0.03671379486068818],
      [950, 1000, 930, 1000, 0.03661613860167833],
      [100, 100, 90, 100, 0.0007710260627178504],
      [100, 100, 58, 100, 9.330019705864656e-16],
      [40, 50, 45, 50, 0.9547409977103912],
      [4990, 5000, 4970, 5000, 0.0010888778392480834],
    ];
    for (const [baselineOk, baselineTrials, candidateOk, candidateTrials, scipy] of cases) {
      const p = fisherExactDropP({ successes: baselineOk, trials: baselineTrials }, {
        successes: candidateOk,
        trials: candidateTrials,
      });
      close(p, scipy, 1e-9);
      if (baselineTrials <= 1000) {
        close(p, exactDropP(baselineOk, baselineTrials, candidateOk, candidateTrials), 1e-9);
      }
    }
  });

  test("no drop is never significant; empty sides give 1; bad counts throw", () => {
    assert.equal(fisherExactDropP({ successes: 0, trials: 10 }, { successes: 0, trials: 10 }), 1);
    assert.equal(fisherExactDropP({ successes: 10, trials: 10 }, { successes: 10, trials: 10 }), 1);
    assert.ok(fisherExactDropP({ successes: 50, trials: 100 }, { successes: 70, trials: 100 }) > 0.99);
    assert.equal(fisherExactDropP({ successes: 0, trials: 0 }, { successes: 3, trials: 5 }), 1);
    assert.throws(
      () => fisherExactDropP({ successes: 6, trials: 5 }, { successes: 3, trials: 5 }),
      RangeError,
    );
    assert.throws(
      () => fisherExactDropP({ successes: 1.5, trials: 5 }, { successes: 3, trials: 5 }),
      RangeError,
    );
  });

  test("a million turns a side stays exact and quick", () => {
    const startedMs = performance.now();
    const p = fisherExactDropP({ successes: 999_000, trials: 1_000_000 }, {
      successes: 998_000,
      trials: 1_000_000,
    });
    assert.ok(p > 0 && p < 1e-50, `${p}`);
    assert.ok(performance.now() - startedMs < 2000);
  });

  test("log-factorials: the table and Stirling's series meet", () => {
    close(Math.exp(logFactorial(10)), 3628800, 1e-13);
    assert.equal(logFactorial(0), 0);
    assert.equal(logFactorial(1), 0);
    for (const n of [256, 257, 1000, 123_456]) {
      close(logFactorial(n), logFactorial(n - 1) + Math.log(n), 1e-14);
    }
  });
});
