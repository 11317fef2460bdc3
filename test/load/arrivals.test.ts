/**
 * The open model's arrival schedule, checked statistically (seeded, reproducible).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRandom } from "../../src/common/random.ts";
import { arrivalOffsetsMs, arrivalSchedule } from "../../src/load/arrivals.ts";

const gapsOf = (offsets: readonly number[]): number[] =>
  offsets.map((offset, index) => offset - (index === 0 ? 0 : offsets[index - 1]!));

describe("arrivals", () => {
  test("Poisson: exponential gaps of mean 1/rate (mean, coefficient of variation, Kolmogorov-Smirnov), the same for a seed", () => {
    const offsets = arrivalOffsetsMs({ ratePerS: 5, durationS: 2000, process: "poisson" }, createRandom(11));
    const gaps = gapsOf(offsets);
    const n = gaps.length;
    assert.ok(Math.abs(n - 10_000) < 4 * Math.sqrt(10_000), `${n} arrivals for an expected 10,000`);
    const mean = gaps.reduce((total, gap) => total + gap, 0) / n;
    const sd = Math.sqrt(gaps.reduce((total, gap) => total + (gap - mean) ** 2, 0) / (n - 1));
    assert.ok(Math.abs(mean - 200) < 200 * 0.03, `mean gap ${mean.toFixed(1)} ms, expected 200`);
    assert.ok(
      Math.abs(sd / mean - 1) < 0.05,
      `coefficient of variation ${(sd / mean).toFixed(3)}, an exponential's is 1`,
    );
    // Kolmogorov-Smirnov against Exp(mean 200 ms): D below the 1% critical value 1.63 / sqrt(n).
    const sorted = [...gaps].sort((a, b) => a - b);
    let d = 0;
    for (const [index, gap] of sorted.entries()) {
      const cdf = 1 - Math.exp(-gap / 200);
      d = Math.max(d, Math.abs(cdf - index / n), Math.abs(cdf - (index + 1) / n));
    }
    assert.ok(d < 1.63 / Math.sqrt(n), `KS distance ${d.toFixed(4)} >= ${(1.63 / Math.sqrt(n)).toFixed(4)}`);
    assert.deepEqual(
      arrivalOffsetsMs({ ratePerS: 5, durationS: 2000, process: "poisson" }, createRandom(11)),
      offsets,
    );
    assert.notDeepEqual(
      arrivalOffsetsMs({ ratePerS: 5, durationS: 2000, process: "poisson" }, createRandom(12)),
      offsets,
    );
    assert.deepEqual(
      arrivalSchedule({ ratePerS: 5, durationS: 20, process: "poisson" }, 3).offsetsMs,
      arrivalSchedule({ ratePerS: 5, durationS: 20, process: "poisson" }, 3).offsetsMs,
    );
  });

  test("uniform: exactly 1/rate apart from 0, none at or after the duration", () => {
    assert.deepEqual(arrivalOffsetsMs({ ratePerS: 4, durationS: 1, process: "uniform" }, createRandom(1)), [
      0,
      250,
      500,
      750,
    ]);
    const offsets = arrivalOffsetsMs({ ratePerS: 3, durationS: 10, process: "uniform" }, createRandom(1));
    assert.equal(offsets.length, 30);
    assert.ok(offsets.every((offset) => offset < 10_000));
  });
});
