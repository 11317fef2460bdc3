import { UsageError } from "../common/errors.ts";
import { DURATION_UNITS_S } from "../config/parse-values.ts";
import type { Random } from "../common/random.ts";
import type { ArrivalProcess } from "./arrivals.ts";

/** One stage of a load profile: over `durationS`, the target moves linearly to `target`. */
export interface Stage {
  readonly durationS: number;
  readonly target: number;
}

/**
 * Parses `--stages`: comma-separated `DURATION:TARGET` pairs, durations with a unit (`ms`, `s`,
 * `m`, `h`; seconds without one), targets numbers of at least 0.
 *
 * @throws {UsageError} naming the stage that is wrong.
 * @example
 * ```ts
 * import { parseStages } from "./stages.ts";
 * console.log(parseStages("30s:10,2m:10,500ms:0"));
 * // [{ durationS: 30, target: 10 }, { durationS: 120, target: 10 }, { durationS: 0.5, target: 0 }]
 * ```
 */
export function parseStages(text: string): Stage[] {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part === "")) {
    throw new UsageError(`--stages must look like 30s:10,2m:10,30s:0 (got "${text}")`);
  }
  return parts.map((part, index) => {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?:(-?\d+(?:\.\d+)?)$/.exec(part);
    if (!match) {
      throw new UsageError(
        `--stages: stage ${
          index + 1
        } "${part}" must look like 30s:10 (a duration with ms, s, m or h, then a target)`,
      );
    }
    const durationS = Number(match[1]) * DURATION_UNITS_S[match[2] ?? "s"]!;
    const target = Number(match[3]);
    if (!(durationS > 0)) {
      throw new UsageError(`--stages: stage ${index + 1} "${part}" must last more than 0`);
    }
    if (target < 0) throw new UsageError(`--stages: stage ${index + 1} "${part}" has a negative target`);
    return { durationS, target };
  });
}

/** The stages' total duration, seconds. */
export function stagesDurationS(stages: readonly Stage[]): number {
  return stages.reduce((total, stage) => total + stage.durationS, 0);
}

/**
 * The target at `atS` seconds: linear within each stage, from the previous stage's target (or
 * `start` for the first), and the last target after the end.
 *
 * @example
 * ```ts
 * import { targetAt } from "./stages.ts";
 * console.log(targetAt(0, [{ durationS: 10, target: 20 }], 15), targetAt(0, [{ durationS: 10, target: 20 }], 5)); // 20 10
 * ```
 */
export function targetAt(start: number, stages: readonly Stage[], atS: number): number {
  let from = start;
  let elapsedS = 0;
  for (const stage of stages) {
    if (atS < elapsedS + stage.durationS) {
      return from + ((stage.target - from) * (atS - elapsedS)) / stage.durationS;
    }
    elapsedS += stage.durationS;
    from = stage.target;
  }
  return from;
}

/**
 * The first moment at or after `fromS`, before the stages end, when the target is at least `level`
 * (linear within each stage, from `start`); null when it never is again. Closed-model stages use
 * it: caller k (from 0) is active while the target is at least k + 1.
 *
 * @example
 * ```ts
 * import { firstTimeAtLeastS } from "./stages.ts";
 * const stages = [{ durationS: 10, target: 10 }, { durationS: 10, target: 0 }];
 * console.log(firstTimeAtLeastS(0, stages, 0, 3), firstTimeAtLeastS(0, stages, 12, 3), firstTimeAtLeastS(0, stages, 18, 3)); // 3 12 null
 * ```
 */
export function firstTimeAtLeastS(
  start: number,
  stages: readonly Stage[],
  fromS: number,
  level: number,
): number | null {
  let from = start;
  let elapsedS = 0;
  for (const stage of stages) {
    const endS = elapsedS + stage.durationS;
    if (endS > fromS) {
      const atFromS = targetAt(start, stages, Math.max(fromS, elapsedS));
      if (atFromS >= level) return Math.max(fromS, elapsedS);
      if (stage.target >= level && stage.target > from) {
        // Rising through the level within this stage.
        const crossingS = elapsedS + ((level - from) / (stage.target - from)) * stage.durationS;
        if (crossingS < endS) return Math.max(fromS, crossingS);
      }
    }
    elapsedS = endS;
    from = stage.target;
  }
  return null;
}

/**
 * Arrivals whose rate follows the stages (calls/s, linear within each stage from `startRate`): a
 * Poisson process of that varying rate (unit-rate exponential gaps mapped through the inverse of
 * the rate's integral), or, for "uniform", the moments the integral reaches 0, 1, 2... Offsets in
 * ms from the start, before the stages end.
 *
 * @example
 * ```ts
 * import { stagedArrivalOffsetsMs } from "./stages.ts";
 * import { createRandom } from "../common/random.ts";
 * // 0 -> 4 calls/s over 2 s: the integral reaches 1, 2, 3 at 1 s, 1.41 s, 1.73 s.
 * console.log(stagedArrivalOffsetsMs(0, [{ durationS: 2, target: 4 }], "uniform", createRandom(1)).map(Math.round)); // [0, 1000, 1414, 1732]
 * ```
 */
export function stagedArrivalOffsetsMs(
  startRate: number,
  stages: readonly Stage[],
  process: ArrivalProcess,
  random: Random,
): number[] {
  const totalS = stagesDurationS(stages);
  const offsets: number[] = [];
  // Walk the stages with the next arrival's value of the integral (the expected count so far).
  let next = process === "uniform" ? 0 : -Math.log(1 - random.next());
  let integral = 0;
  let fromRate = startRate;
  let elapsedS = 0;
  for (const stage of stages) {
    const slope = (stage.target - fromRate) / stage.durationS;
    const stageIntegral = fromRate * stage.durationS + (slope * stage.durationS ** 2) / 2;
    // A stage at rate 0 throughout brings no arrivals.
    while (stageIntegral > 0 && next <= integral + stageIntegral) {
      const want = next - integral;
      // Solve fromRate u + slope u^2 / 2 = want for u in [0, durationS].
      const u = Math.abs(slope) < 1e-12
        ? want / fromRate
        : (-fromRate + Math.sqrt(Math.max(0, fromRate ** 2 + 2 * slope * want))) / slope;
      const atS = elapsedS + Math.min(stage.durationS, Math.max(0, u));
      if (atS >= totalS) return offsets;
      offsets.push(atS * 1000);
      next += process === "uniform" ? 1 : -Math.log(1 - random.next());
    }
    integral += stageIntegral;
    elapsedS += stage.durationS;
    fromRate = stage.target;
  }
  return offsets;
}
