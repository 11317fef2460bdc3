import { roundMs } from "../metrics/turn-record.ts";
import { defineScenario } from "./define.ts";
import type { TurnContext } from "./turn-context.ts";

/**
 * Simple query: ask an ordinary question (role "query") and measure the whole reply:
 * ttft_ms, total_ms, heard_ms, reply audio and underruns.
 */
export const simpleQuery = defineScenario({
  name: "simple_query",
  description: "ask a question, measure the reply",
  timeout: "simple",
  async run(turn: TurnContext) {
    const utterance = await turn.speak(turn.pick("query"));
    const reply = await turn.measureReply(utterance);
    turn.record.ttft_ms = roundMs(reply.ttftMs);
    turn.record.total_ms = roundMs(reply.totalMs);
    if (reply.heardMs !== undefined) turn.record.heard_ms = roundMs(reply.heardMs);
    turn.recordReplyAudio(reply.analysis, reply.end);
  },
});
