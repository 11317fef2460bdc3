import { defineScenario, type Scenario } from "./define.ts";
import type { TurnContext } from "./turn-context.ts";

/**
 * Simple query: ask an ordinary question (role "query") and measure the whole reply:
 * ttft_ms, total_ms, heard_ms, reply audio and underruns.
 */
export const simpleQuery: Scenario = defineScenario({
  name: "simple_query",
  description: "ask a question, measure the reply",
  roles: ["query"],
  timeoutS: 30,
  async run(turn: TurnContext) {
    await turn.measureAndRecordReply(await turn.speak(turn.pick("query")));
  },
});
