/**
 * A custom scenario: the caller asks a question, listens to the whole answer, then asks a follow-up
 * right away. Runs unchanged on Node and Deno:
 *
 *   node --import tsx examples/custom-scenario.ts [ws://your-bot/ws]
 *   npx deno run -A examples/custom-scenario.ts [ws://your-bot/ws]
 *
 * Without a URL it starts the reference bot in-process. In your own project, import from "voxbench".
 */
import process from "node:process";
import { defineScenario, formatConsoleReport, roundMs, run, serve, type TurnContext } from "../src/mod.ts";

export const followUp = defineScenario({
  name: "follow_up",
  description: "ask, listen to the whole answer, then ask a follow-up at once",
  timeout: "simple",
  async run(turn: TurnContext) {
    // First question: the standard measurement fills ttft_ms, total_ms, heard_ms...
    const question = await turn.speak(turn.pick("query"));
    const answer = await turn.measureReply(question);
    turn.recordMeasuredReply(answer);
    // The follow-up starts as soon as the answer has played out for the caller.
    await turn.sleepUntil(answer.analysis.playbackEndMs ?? turn.now());
    const followUpQuestion = await turn.speak(turn.pick("interrupt"));
    const followUpAnswer = await turn.measureReply(followUpQuestion);
    // recovery_ms is free for a second reply's first audio; the CSV documents it per scenario.
    turn.record.recovery_ms = roundMs(followUpAnswer.ttftMs);
    turn.record.recovery_total_ms = roundMs(followUpAnswer.totalMs);
  },
});

const url = process.argv[2];
const server = url ? undefined : await serve({ port: 0, doneEvent: true });
try {
  const result = await run({
    server: url ?? server!.url,
    concurrency: Number(process.env.CONCURRENCY ?? 3),
    requests: Number(process.env.REQUESTS ?? 2),
    // Only the custom scenario: the built-ins get weight 0.
    weights: { simple: 0, tools: 0, interruptions: 0, falseAlarms: 0 },
    scenarios: [{ scenario: followUp, weight: 1 }],
    thinkTimeS: { min: 0.2, max: 0.5 },
  });
  console.log(formatConsoleReport(result));
} finally {
  await server?.close();
}
