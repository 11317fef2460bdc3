import { UsageError } from "../common/errors.ts";
import type { Random } from "../common/random.ts";
import type { Scenario } from "./define.ts";
import { falseAlarm } from "./false-alarm.ts";
import { interruption } from "./interruption.ts";
import { simpleQuery } from "./simple-query.ts";
import { toolCall } from "./tool-call.ts";

/** The four scenarios of the old load_test.py, by name. */
export const BUILT_IN_SCENARIOS: Readonly<Record<string, Scenario>> = {
  simple_query: simpleQuery,
  tool_call: toolCall,
  interruption,
  false_alarm: falseAlarm,
};

/** A scenario and its share of the turns. */
export interface WeightedScenario {
  readonly scenario: Scenario;
  readonly weight: number;
}

/** The old script's four weights (--simple, --tools, --interruptions, --false-alarms). */
export interface ScenarioWeights {
  readonly simple: number;
  readonly tools: number;
  readonly interruptions: number;
  readonly falseAlarms: number;
}

/**
 * The mix a run draws from: the built-ins with their weights, plus any custom scenarios.
 *
 * @example
 * ```ts
 * import { scenarioMix } from "./registry.ts";
 * const mix = scenarioMix({ simple: 0.6, tools: 0.2, interruptions: 0.1, falseAlarms: 0.1 });
 * console.log(mix.map((entry) => entry.scenario.name)); // ["simple_query", "tool_call", "interruption", "false_alarm"]
 * ```
 */
export function scenarioMix(weights: ScenarioWeights, custom: readonly WeightedScenario[] = []): WeightedScenario[] {
  const mix: WeightedScenario[] = [
    { scenario: simpleQuery, weight: weights.simple },
    { scenario: toolCall, weight: weights.tools },
    { scenario: interruption, weight: weights.interruptions },
    { scenario: falseAlarm, weight: weights.falseAlarms },
    ...custom,
  ];
  const names = new Set<string>();
  for (const entry of mix) {
    if (!(entry.weight >= 0) || !Number.isFinite(entry.weight)) {
      throw new UsageError(`the weight of ${entry.scenario.name} must be a number of at least 0 (got ${entry.weight})`);
    }
    if (names.has(entry.scenario.name)) throw new UsageError(`two scenarios are named ${entry.scenario.name}`);
    names.add(entry.scenario.name);
  }
  if (mix.reduce((sum, entry) => sum + entry.weight, 0) <= 0) {
    throw new UsageError("the scenario weights add up to 0: give at least one of --simple, --tools, --interruptions, --false-alarms a weight above 0");
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
 * const mix = scenarioMix({ simple: 1, tools: 0, interruptions: 0, falseAlarms: 0 });
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
