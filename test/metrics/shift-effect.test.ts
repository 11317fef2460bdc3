import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRandom } from "../../src/common/random.ts";
import {
  expectedMannWhitneyP,
  mannWhitneyU,
  normalUpperTail,
  scaleShiftEffect,
} from "../../src/metrics/mann-whitney.ts";

describe("how large a scale shift looks to Mann-Whitney U", () => {
  test("the effect counts the pairs a scaled copy wins, ties one half", () => {
    assert.equal(scaleShiftEffect([100, 200, 300], 1.1), 6 / 9);
    assert.equal(scaleShiftEffect([100, 200, 300], 1), 0.5);
    assert.equal(scaleShiftEffect([0, 0], 1.5), 0.5);
    assert.equal(scaleShiftEffect([], 2), 0.5);
    // Far apart values: the scaled copy wins every pair it can (3 of its own, plus those above).
    assert.equal(scaleShiftEffect([1, 10, 100], 2), 6 / 9);
  });

  test("for a log-normal sample it is P(Z < ln(factor) / (sigma sqrt 2))", () => {
    const random = createRandom(7);
    const sample = Array.from({ length: 4000 }, () => 400 * Math.exp(0.2 * random.normal()));
    const expected = 1 - normalUpperTail(Math.log(1.1) / (0.2 * Math.SQRT2));
    assert.ok(
      Math.abs(scaleShiftEffect(sample, 1.1) - expected) < 0.01,
      `${scaleShiftEffect(sample, 1.1)} vs ${expected}`,
    );
  });

  test("the expected p-value matches the test's own normal approximation at U = effect x n1 x n2", () => {
    // 0.6 over 100 x 100: z = 0.1 / sqrt(201 / 120000).
    assert.ok(
      Math.abs(expectedMannWhitneyP(0.6, 100, 100) - 2 * normalUpperTail(0.1 / Math.sqrt(201 / 120000))) <
        1e-15,
    );
    assert.ok(expectedMannWhitneyP(0.5, 100, 100) > 0.9999);
    assert.equal(expectedMannWhitneyP(0.9, 0, 100), 1);
    // A sample against its own copy scaled by 1.1: the real test lands close to the expectation.
    const random = createRandom(8);
    const sample = Array.from({ length: 300 }, () => 400 * Math.exp(0.2 * random.normal()));
    const real = mannWhitneyU(sample, sample.map((value) => value * 1.1)).p;
    const expected = expectedMannWhitneyP(scaleShiftEffect(sample, 1.1), 300, 300);
    assert.ok(Math.abs(Math.log10(real) - Math.log10(expected)) < 0.5, `${real} vs ${expected}`);
  });
});
