import { defineScenario, type Scenario } from "./define.ts";
import type { TurnContext } from "./turn-context.ts";

/**
 * Tool call: ask something that needs a tool (role "tool") and measure the reply under the tool
 * timeout. Where the protocol carries an intent (speech-events' `intent: "tool_call"`), it is sent;
 * on streaming protocols the utterance itself is the only signal. Tool events and server timings
 * are recorded when the bot sends them.
 */
export const toolCall: Scenario = defineScenario({
  name: "tool_call",
  description: "ask for something that needs a tool call, measure the reply",
  roles: ["tool"],
  timeoutS: 45,
  async run(turn: TurnContext) {
    await turn.measureAndRecordReply(await turn.speak(turn.pick("tool"), { intent: "tool_call" }));
  },
});
