import type { AudioRole } from "../audio/asset.ts";
import type { TurnContext } from "./turn-context.ts";

/**
 * A scenario: what one caller does in one turn. Scenarios are plain async functions over the turn
 * API ({@link TurnContext}): speak a clip, wait for the first reply audio, wait for the reply's end,
 * interrupt, and record what was measured in `turn.record`. Throwing `turn.fail(...)` ends the turn
 * with a failure outcome. A scenario never knows the wire protocol.
 */
export interface Scenario {
  /** Name in reports, turns.csv, thresholds and the mix, e.g. "simple_query" (lower_snake_case). */
  readonly name: string;
  readonly description: string;
  /** The audio roles it speaks: a run checks its audio has clips of each before it starts. */
  readonly roles: readonly AudioRole[];
  /** Its timeout in seconds, unless the run sets one for it (timeoutsS[name], --timeout-<name>). */
  readonly timeoutS: number;
  /** Its own turns.csv columns, appended after voxbench's; values go in `turn.record.extra[column]`. */
  readonly columns?: readonly string[];
  run(turn: TurnContext): Promise<void>;
}

/**
 * Declares a scenario (checks its name and columns and returns it).
 *
 * @example
 * ```ts
 * import { defineScenario } from "./define.ts";
 * export const twoQuestions = defineScenario({
 *   name: "two_questions",
 *   description: "asks two questions back to back",
 *   roles: ["query"],
 *   timeoutS: 30,
 *   columns: ["second_ttft_ms"],
 *   async run(turn) {
 *     await turn.measureAndRecordReply(await turn.speak(turn.pick("query")));
 *     const second = await turn.measureReply(await turn.speak(turn.pick("query")));
 *     turn.record.extra.second_ttft_ms = second.ttftMs;
 *   },
 * });
 * ```
 */
export function defineScenario(scenario: Scenario): Scenario {
  if (!/^[a-z][a-z0-9_]*$/.test(scenario.name)) {
    throw new TypeError(`scenario names are lower_snake_case, got "${scenario.name}"`);
  }
  for (const column of scenario.columns ?? []) {
    if (!/^[a-z][a-z0-9_]*$/.test(column)) {
      throw new TypeError(`scenario ${scenario.name}: column names are lower_snake_case, got "${column}"`);
    }
  }
  if (!(scenario.timeoutS > 0)) {
    throw new TypeError(`scenario ${scenario.name}: timeoutS must be above 0, got ${scenario.timeoutS}`);
  }
  return scenario;
}
