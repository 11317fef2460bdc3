import type { TurnContext } from "./turn-context.ts";

/**
 * A scenario: what one caller does in one turn. Scenarios are plain async functions over the turn
 * API ({@link TurnContext}): speak a clip, wait for the first reply audio, wait for the reply's end,
 * interrupt, and record what was measured in `turn.record`. Throwing `turn.fail(...)` ends the turn
 * with a failure outcome.
 */
export interface Scenario {
  /** Name in reports and turns.csv, e.g. "simple_query". */
  readonly name: string;
  readonly description: string;
  /** Which timeout applies: one of the built-in timeouts (seconds, from the options) or a fixed one. */
  readonly timeout: "simple" | "tool" | "interruption" | "false_alarm" | { readonly ms: number };
  run(turn: TurnContext): Promise<void>;
}

/**
 * Declares a scenario (an identity function that type-checks it).
 *
 * @example
 * ```ts
 * import { defineScenario } from "./define.ts";
 * export const twoQuestions = defineScenario({
 *   name: "two_questions",
 *   description: "asks two questions back to back",
 *   timeout: "simple",
 *   async run(turn) {
 *     for (let i = 0; i < 2; i++) {
 *       const utterance = await turn.speak(turn.pick("query"));
 *       await turn.measureReply(utterance);
 *     }
 *   },
 * });
 * ```
 */
export function defineScenario(scenario: Scenario): Scenario {
  if (!/^[a-z][a-z0-9_]*$/.test(scenario.name)) {
    throw new TypeError(`scenario names are lower_snake_case, got "${scenario.name}"`);
  }
  return scenario;
}
