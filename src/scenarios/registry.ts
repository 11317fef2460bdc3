import { UsageError } from "../common/errors.ts";
import type { Random } from "../common/random.ts";
import type { Scenario } from "./define.ts";
import { falseAlarm } from "./false-alarm.ts";
import { interruption } from "./interruption.ts";
import { simpleQuery } from "./simple-query.ts";
import { toolCall } from "./tool-call.ts";

/** The four scenarios of the old load_test.py. */
export const BUILT_IN_SCENARIOS: readonly Scenario[] = [simpleQuery, toolCall, interruption, falseAlarm];

/** A scenario and its share of the turns. */
export interface WeightedScenario {
  readonly scenario: Scenario;
  readonly weight: number;
}

/** load_test.py's four weights (--simple, --tools, --interruptions, --false-alarms). */
export interface ScenarioWeights {
  readonly simple: number;
  readonly tools: number;
  readonly interruptions: number;
  readonly falseAlarms: number;
}

/** The scenario each of load_test.py's weight flags weighs: the one place those names live. */
export const WEIGHT_KEYS: Readonly<Record<keyof ScenarioWeights, string>> = {
  simple: "simple_query",
  tools: "tool_call",
  interruptions: "interruption",
  falseAlarms: "false_alarm",
};

/** The scenario each of load_test.py's timeout flags (--timeout-simple...) sets. */
export const TIMEOUT_KEYS: Readonly<Record<string, string>> = {
  simple: "simple_query",
  tool: "tool_call",
  interruption: "interruption",
  falseAlarm: "false_alarm",
};

/** load_test.py's default mix. */
export const DEFAULT_MIX: Readonly<Record<string, number>> = {
  simple_query: 0.6,
  tool_call: 0.2,
  interruption: 0.1,
  false_alarm: 0.1,
};

/**
 * The mix a run draws from: every scenario with its weight (a map keyed by scenario name), the
 * built-ins and any custom ones. Scenarios of weight 0 are left out.
 *
 * @throws {UsageError} for a weight below 0, a weight for no known scenario, two scenarios with one name, or all weights 0.
 * @example
 * ```ts
 * import { scenarioMix } from "./registry.ts";
 * const mix = scenarioMix({ simple_query: 0.6, tool_call: 0.2, interruption: 0.1, false_alarm: 0.1 });
 * console.log(mix.map((entry) => entry.scenario.name)); // ["simple_query", "tool_call", "interruption", "false_alarm"]
 * ```
 */
export function scenarioMix(
  weights: Readonly<Record<string, number>>,
  custom: readonly Scenario[] = [],
): WeightedScenario[] {
  const scenarios = [...BUILT_IN_SCENARIOS, ...custom];
  const names = new Set<string>();
  for (const scenario of scenarios) {
    if (names.has(scenario.name)) throw new UsageError(`two scenarios are named ${scenario.name}`);
    names.add(scenario.name);
  }
  for (const [name, weight] of Object.entries(weights)) {
    if (!names.has(name)) {
      throw new UsageError(
        `a weight is given for "${name}", which is not a scenario (known: ${[...names].join(", ")})`,
      );
    }
    if (!(weight >= 0) || !Number.isFinite(weight)) {
      throw new UsageError(`the weight of ${name} must be a number of at least 0 (got ${weight})`);
    }
  }
  const mix = scenarios.map((scenario) => ({ scenario, weight: weights[scenario.name] ?? 0 }));
  if (mix.reduce((sum, entry) => sum + entry.weight, 0) <= 0) {
    throw new UsageError(
      "the scenario weights add up to 0: give at least one of --simple, --tools, --interruptions, --false-alarms (or a custom scenario) a weight above 0",
    );
  }
  return mix.filter((entry) => entry.weight > 0);
}

/**
 * Picks a scenario with probability proportional to its weight (weights need not sum to 1).
 *
 * @example
 * ```ts
 * import { pickScenario, scenarioMix } from "./registry.ts";
 * import { createRandom } from "../common/random.ts";
 * const mix = scenarioMix({ simple_query: 1 });
 * console.log(pickScenario(mix, createRandom(1)).name); // "simple_query"
 * ```
 */
export function pickScenario(mix: readonly WeightedScenario[], random: Random): Scenario {
  const total = mix.reduce((sum, entry) => sum + entry.weight, 0);
  let threshold = random.next() * total;
  for (const entry of mix) {
    threshold -= entry.weight;
    if (threshold < 0) return entry.scenario;
  }
  return mix[mix.length - 1]!.scenario;
}
