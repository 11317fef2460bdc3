/** Stages: parsing, the target over time, and arrivals whose rate follows the stages (statistically). */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRandom } from "../../src/common/random.ts";
import {
  firstTimeAtLeastS,
  parseStages,
  stagedArrivalOffsetsMs,
  stagesDurationS,
  targetAt,
} from "../../src/load/stages.ts";

describe("stages", () => {
  test("parsing: durations with units, targets at least 0; a bad stage is named", () => {
    assert.deepEqual(parseStages("30s:10, 2m:10,1h:0,250ms:3.5,5:1"), [
      { durationS: 30, target: 10 },
      { durationS: 120, target: 10 },
      { durationS: 3600, target: 0 },
      { durationS: 0.25, target: 3.5 },
      { durationS: 5, target: 1 },
    ]);
    assert.throws(() => parseStages("30s:10,2x:5"), /stage 2 "2x:5" must look like 30s:10/);
    assert.throws(() => parseStages("30s:-1"), /stage 1 "30s:-1" has a negative target/);
    assert.throws(() => parseStages("0s:5"), /stage 1 "0s:5" must last more than 0/);
    assert.throws(() => parseStages("30s:1,"), /--stages must look like/);
    assert.equal(stagesDurationS(parseStages("30s:1,1m:2")), 90);
  });

  test("the target moves linearly within each stage and holds after the last", () => {
    const stages = parseStages("10s:10,10s:10,10s:0");
    assert.deepEqual([0, 5, 10, 15, 25, 30, 99].map((atS) => targetAt(0, stages, atS)), [
      0,
      5,
      10,
      10,
      5,
      0,
      0,
    ]);
    assert.equal(targetAt(4, [{ durationS: 2, target: 0 }], 1), 2);
  });

  test("the first moment the target reaches a level: on a rise, at once on a plateau, never after the end", () => {
    const stages = parseStages("10s:10,5s:10,10s:0,5s:4");
    assert.equal(firstTimeAtLeastS(0, stages, 0, 3), 3);
    assert.equal(firstTimeAtLeastS(0, stages, 12, 3), 12, "already above it");
    assert.equal(firstTimeAtLeastS(0, stages, 15, 10), 15, "the plateau's end still counts");
    // Falling below 3 at 22 s, back above during the last stage (0 -> 4 over 25-30 s) at 28.75 s.
    assert.equal(firstTimeAtLeastS(0, stages, 23, 3), 28.75);
    assert.equal(firstTimeAtLeastS(0, stages, 23, 5), null, "never that high again");
    assert.equal(firstTimeAtLeastS(0, stages, 30, 1), null, "nothing after the stages end");
    assert.equal(firstTimeAtLeastS(5, stages, 0, 5), 0, "the start value counts");
    for (const level of [0.5, 1, 2.5, 7, 9.99]) {
      const atS = firstTimeAtLeastS(0, stages, 0, level)!;
      assert.ok(Math.abs(targetAt(0, stages, atS) - level) < 1e-9, `level ${level} at ${atS} s`);
    }
  });

  test("uniform arrivals: one each time the rate's integral reaches a whole number", () => {
    assert.deepEqual(stagedArrivalOffsetsMs(2, [{ durationS: 2, target: 2 }], "uniform", createRandom(1)), [
      0,
      500,
      1000,
      1500,
    ]);
    const ramp = stagedArrivalOffsetsMs(0, [{ durationS: 2, target: 4 }], "uniform", createRandom(1)).map(
      Math.round,
    );
    assert.deepEqual(ramp, [0, 1000, 1414, 1732]);
    assert.deepEqual(
      stagedArrivalOffsetsMs(0, [{ durationS: 5, target: 0 }], "uniform", createRandom(1)),
      [],
      "no arrivals at rate 0",
    );
  });

  test("Poisson arrivals over a ramp: the expected count, and unit exponential gaps once time is rescaled by the rate (Kolmogorov-Smirnov)", () => {
    const stages = parseStages("200s:10,100s:10,200s:0");
    const offsets = stagedArrivalOffsetsMs(0, stages, "poisson", createRandom(9));
    const expected = 1000 + 1000 + 1000; // the integral of the rate over the three stages
    assert.ok(
      Math.abs(offsets.length - expected) < 4 * Math.sqrt(expected),
      `${offsets.length} arrivals for an expected ${expected}`,
    );
    const integralAt = (atS: number): number => {
      let total = 0;
      let from = 0;
      let elapsed = 0;
      for (const stage of stages) {
        const u = Math.min(stage.durationS, Math.max(0, atS - elapsed));
        total += from * u + ((stage.target - from) / stage.durationS) * u * u / 2;
        elapsed += stage.durationS;
        from = stage.target;
      }
      return total;
    };
    const gaps = offsets.map((offset, index) =>
      integralAt(offset / 1000) - (index === 0 ? 0 : integralAt(offsets[index - 1]! / 1000))
    );
    const sorted = [...gaps].sort((a, b) => a - b);
    const n = sorted.length;
    let d = 0;
    for (const [index, gap] of sorted.entries()) {
      const cdf = 1 - Math.exp(-gap);
      d = Math.max(d, Math.abs(cdf - index / n), Math.abs(cdf - (index + 1) / n));
    }
    assert.ok(d < 1.63 / Math.sqrt(n), `KS distance ${d.toFixed(4)} >= ${(1.63 / Math.sqrt(n)).toFixed(4)}`);
    // Arrivals follow the rate: the first and last 100 s (rate rising to 5 and falling from 5) each bring about 250.
    const inWindow = (fromS: number, toS: number): number =>
      offsets.filter((offset) => offset >= fromS * 1000 && offset < toS * 1000).length;
    assert.ok(Math.abs(inWindow(0, 100) - 250) < 4 * Math.sqrt(250));
    assert.ok(Math.abs(inWindow(200, 300) - 1000) < 4 * Math.sqrt(1000));
    assert.ok(Math.abs(inWindow(400, 500) - 250) < 4 * Math.sqrt(250));
    assert.deepEqual(
      stagedArrivalOffsetsMs(0, stages, "poisson", createRandom(9)),
      offsets,
      "the same seed, the same arrivals",
    );
  });
});
