import { defineScenario } from "./define.ts";
import type { TurnContext } from "./turn-context.ts";

/**
 * Tool call: ask something that needs a tool (role "tool"), flagged with `intent: "tool_call"` in
 * speech_end, and measure the reply under the tool timeout. Tool events and server timings are
 * recorded when the server sends them.
 */
export const toolCall = defineScenario({
  name: "tool_call",
  description: "ask for something that needs a tool call, measure the reply",
  timeout: "tool",
  async run(turn: TurnContext) {
    await turn.measureAndRecordReply(await turn.speak(turn.pick("tool"), { intent: "tool_call" }));
  },
});
