import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRandom } from "../../src/common/random.ts";
import { mannWhitneyU, normalUpperTail } from "../../src/metrics/mann-whitney.ts";

const close = (actual: number, expected: number, tolerance: number): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} != ${expected} ± ${tolerance}`);

describe("Mann-Whitney U", () => {
  test("exact p-values for small untied samples (known values)", () => {
    const separated3 = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    assert.equal(separated3.method, "exact");
    assert.equal(separated3.u, 0);
    close(separated3.p, 2 / 20, 1e-12); // 2 of C(6,3) arrangements are as extreme
    close(mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p, 2 / 252, 1e-12);
    // R: wilcox.test(c(19, 22, 16, 29, 24), c(20, 11, 17, 12)) -> W = 17, p-value = 0.1111
    const r = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    assert.equal(r.u, 17);
    close(r.p, 0.1111, 0.0001);
  });
  test("normal approximation with ties and continuity correction (R: exact = FALSE, correct = TRUE)", () => {
    // n1 = 6, n2 = 5, U = 0, one pair of tied 5s: z = (15 - 0.5) / sqrt(2.5 * (12 - 6/110)).
    const result = mannWhitneyU([1, 2, 3, 4, 5, 5], [6, 7, 8, 9, 10]);
    assert.equal(result.method, "normal");
    const z = 14.5 / Math.sqrt(2.5 * (12 - 6 / 110));
    close(result.p, 2 * normalUpperTail(z), 1e-12);
    close(result.p, 0.00797, 0.00002);
  });
  test("the normal tail is accurate", () => {
    close(normalUpperTail(1.959964), 0.025, 1e-6);
    close(normalUpperTail(0), 0.5, 1e-7);
    close(normalUpperTail(-1.644854), 0.95, 1e-6);
  });
  test("exact and normal agree on larger samples; symmetric; identical samples give p = 1", () => {
    const random = createRandom(3);
    const a = Array.from({ length: 50 }, () => random.normal() * 10 + 100);
    const b = Array.from({ length: 50 }, () => random.normal() * 10 + 104);
    const exact = mannWhitneyU(a, b);
    const normal = mannWhitneyU([...a, 0], [...b, 0].slice(0, 50).concat([0]));
    assert.equal(exact.method, "exact");
    assert.equal(normal.method, "normal");
    close(mannWhitneyU(b, a).p, exact.p, 1e-12);
    assert.equal(mannWhitneyU([5, 5, 5], [5, 5, 5]).p, 1);
    const bigA = Array.from({ length: 300 }, () => random.normal());
    const bigB = Array.from({ length: 300 }, () => random.normal() + 0.5);
    assert.ok(mannWhitneyU(bigA, bigB).p < 1e-6, "a half-sigma shift over 300 samples is significant");
    const sameA = Array.from({ length: 300 }, () => random.normal());
    const sameB = Array.from({ length: 300 }, () => random.normal());
    assert.ok(
      mannWhitneyU(sameA, sameB).p > 0.001,
      "two samples of one distribution are (almost always) not",
    );
  });
});
