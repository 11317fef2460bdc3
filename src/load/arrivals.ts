import { deriveRandom, type Random } from "../common/random.ts";
import { type Stage, stagedArrivalOffsetsMs } from "./stages.ts";

/** How calls arrive in the open model: a Poisson process, or evenly spaced. */
export type ArrivalProcess = "poisson" | "uniform";

/**
 * When each call of an open-model run starts, in ms from the run's start, for `durationS` at
 * `ratePerS` calls a second: a Poisson process (independent exponential gaps of mean 1/rate, drawn
 * from `random`, so a seed repeats them) or evenly spaced gaps of exactly 1/rate (the first call at
 * 0). Calls start on this schedule however the bot copes: the load never waits for it.
 *
 * @example
 * ```ts
 * import { arrivalOffsetsMs } from "./arrivals.ts";
 * import { createRandom } from "../common/random.ts";
 * console.log(arrivalOffsetsMs({ ratePerS: 2, durationS: 2, process: "uniform" }, createRandom(1))); // [0, 500, 1000, 1500]
 * console.log(arrivalOffsetsMs({ ratePerS: 2, durationS: 60, process: "poisson" }, createRandom(1)).length); // about 120
 * ```
 */
export function arrivalOffsetsMs(
  load: { readonly ratePerS: number; readonly durationS: number; readonly process: ArrivalProcess },
  random: Random,
): number[] {
  const meanGapMs = 1000 / load.ratePerS;
  const endMs = load.durationS * 1000;
  const offsets: number[] = [];
  if (load.process === "uniform") {
    for (let offsetMs = 0; offsetMs < endMs; offsetMs = offsets.length * meanGapMs) offsets.push(offsetMs);
    return offsets;
  }
  // 1 - next() keeps the logarithm's argument in (0, 1].
  for (
    let offsetMs = -meanGapMs * Math.log(1 - random.next());
    offsetMs < endMs;
    offsetMs += -meanGapMs * Math.log(1 - random.next())
  ) {
    offsets.push(offsetMs);
  }
  return offsets;
}

/** The random streams of the open model (apart from every caller's): the schedule, and each call's turn count. */
const ARRIVALS_STREAM = 0x0a771e5;

/**
 * An open-model run's schedule from its seed: each arrival's offset from the run's start, in ms,
 * and a source of each call's turn count.
 *
 * @example
 * ```ts
 * import { arrivalSchedule } from "./arrivals.ts";
 * const schedule = arrivalSchedule({ ratePerS: 5, durationS: 10, process: "poisson" }, 42);
 * console.log(schedule.offsetsMs.length > 0, schedule.turnsRandom.next() < 1); // true true
 * ```
 */
export function arrivalSchedule(
  load: {
    readonly ratePerS: number;
    readonly durationS: number;
    readonly process: ArrivalProcess;
    /** The rate ramps through these from `ratePerS`. */
    readonly stages?: readonly Stage[] | null;
  },
  seed: number,
): { readonly offsetsMs: readonly number[]; readonly turnsRandom: Random } {
  const random = deriveRandom(seed, ARRIVALS_STREAM);
  return {
    offsetsMs: load.stages
      ? stagedArrivalOffsetsMs(load.ratePerS, load.stages, load.process, random)
      : arrivalOffsetsMs(load, random),
    turnsRandom: deriveRandom(seed, ARRIVALS_STREAM, 1),
  };
}
