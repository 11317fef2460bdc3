/**
 * The capacity search: step the load up until a step fails its thresholds, then bisect between the
 * highest load that passed and the first that failed. Pure: the caller measures each step.
 */

/** What one measured step says about the bot at a load. */
export interface StepVerdict {
  readonly load: number;
  /** Every threshold held over the step's settled turns. */
  readonly passed: boolean;
  /** voxbench kept up (its own event loop and sends were on time): only then does `passed` count. */
  readonly valid: boolean;
  /** Stopped before the step finished (Ctrl-C, or the search's time budget): not judged. */
  readonly interrupted: boolean;
}

/** How the search moves. Loads are calls in progress (whole numbers) or arrivals per second. */
export interface SearchPlan {
  readonly startLoad: number;
  readonly stepLoad: number;
  /** Never measured above this. */
  readonly maxLoad: number;
  /** Bisecting stops once the passing and the failing load are this close. */
  readonly resolution: number;
  /** Loads are whole numbers (calls in progress). */
  readonly wholeLoads: boolean;
}

/** Why the search ended. */
export type SearchEnd =
  | "found" // a passing and a failing load within the resolution
  | "first_step_failed" // even the first load failed: no capacity found
  | "max_load" // every load up to --max-load passed: the capacity is at least that
  | "generator_lagged" // voxbench fell behind at a step: nothing above it can be judged
  | "stopped"; // Ctrl-C or the time budget ended the search

export interface SearchOutcome<Step extends StepVerdict> {
  /** Every step measured, in order. */
  readonly steps: readonly Step[];
  /** The highest load that passed every threshold, or null. */
  readonly capacity: Step | null;
  /** The lowest load that failed a threshold, or null. */
  readonly firstFailing: Step | null;
  readonly end: SearchEnd;
}

/**
 * Runs the search: `measure` is called once per step with its load, in order, and never with a
 * load above `plan.maxLoad`; it resolves to null when the step could not run (the search is over). Up in `stepLoad` increments from `startLoad`; after the first failure,
 * bisects between the highest pass and the lowest failure until they are `resolution` apart.
 *
 * @example
 * ```ts
 * import { searchCapacity } from "./search.ts";
 * const plan = { startLoad: 10, stepLoad: 10, maxLoad: 100, resolution: 1, wholeLoads: true };
 * const outcome = await searchCapacity(plan, (load) =>
 *   Promise.resolve({ load, passed: load <= 23, valid: true, interrupted: false }));
 * console.log(outcome.capacity?.load, outcome.firstFailing?.load); // 23 24
 * ```
 */
export async function searchCapacity<Step extends StepVerdict>(
  plan: SearchPlan,
  measure: (load: number) => Promise<Step | null>,
): Promise<SearchOutcome<Step>> {
  const steps: Step[] = [];
  let capacity: Step | null = null;
  let firstFailing: Step | null = null;
  // Whole calls, or rates to a thousandth of a call a second; never above the plan's maximum.
  const tidy = (load: number): number =>
    Math.min(
      plan.maxLoad,
      plan.wholeLoads ? Math.round(load) : Math.max(0.001, Math.floor(load * 1000) / 1000),
    );
  let load = tidy(Math.min(plan.startLoad, plan.maxLoad));
  for (;;) {
    const step = await measure(load);
    if (step === null) return { steps, capacity, firstFailing, end: "stopped" };
    steps.push(step);
    if (step.interrupted) return { steps, capacity, firstFailing, end: "stopped" };
    if (!step.valid) return { steps, capacity, firstFailing, end: "generator_lagged" };
    if (step.passed) capacity = step;
    else firstFailing = step;
    if (firstFailing === null) {
      if (load >= plan.maxLoad) return { steps, capacity, firstFailing, end: "max_load" };
      load = tidy(Math.min(load + plan.stepLoad, plan.maxLoad));
      continue;
    }
    if (capacity === null) return { steps, capacity, firstFailing, end: "first_step_failed" };
    const middle = tidy((capacity.load + firstFailing.load) / 2);
    if (
      firstFailing.load - capacity.load <= plan.resolution || middle <= capacity.load ||
      middle >= firstFailing.load
    ) {
      return { steps, capacity, firstFailing, end: "found" };
    }
    load = middle;
  }
}
