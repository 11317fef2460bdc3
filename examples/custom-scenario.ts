/**
 * A custom scenario: the caller asks a question, listens to the whole answer, then asks a follow-up
 * right away. It declares the clips it speaks, its timeout and its own turns.csv columns, and runs
 * unchanged on Node and Deno, on any protocol:
 *
 *   node --import tsx examples/custom-scenario.ts [ws://your-bot/ws] [speech-events|twilio]
 *   npx deno run -A examples/custom-scenario.ts [ws://your-bot/ws] [speech-events|twilio]
 *
 * Without a URL it starts the reference bot in-process. In your own project, import from "voxbench".
 */
import process from "node:process";
import { defineScenario, formatConsoleReport, roundMs, run, serve, type TurnContext } from "../src/mod.ts";

export const followUp = defineScenario({
  name: "follow_up",
  description: "ask, listen to the whole answer, then ask a follow-up at once",
  roles: ["query", "interrupt"],
  timeoutS: 30,
  columns: ["follow_up_ttft_ms", "follow_up_total_ms"],
  async run(turn: TurnContext) {
    // First question: the standard measurement fills ttft_ms, total_ms, heard_ms...
    const answer = await turn.measureAndRecordReply(await turn.speak(turn.pick("query")));
    // The follow-up starts as soon as the answer has played out for the caller.
    await turn.sleepUntil(answer.analysis.playbackEndMs ?? turn.now());
    const followUpAnswer = await turn.measureReply(await turn.speak(turn.pick("interrupt")));
    // The scenario's own columns, appended to turns.csv.
    turn.record.extra.follow_up_ttft_ms = roundMs(followUpAnswer.ttftMs);
    turn.record.extra.follow_up_total_ms = roundMs(followUpAnswer.totalMs);
  },
});

const url = process.argv[2];
const protocol = process.argv[3] ?? "speech-events";
const server = url ? undefined : await serve({ port: 0, doneEvent: true, protocol });
try {
  const result = await run({
    server: url ?? server!.url,
    protocol,
    concurrency: Number(process.env.CONCURRENCY ?? 3),
    requests: Number(process.env.REQUESTS ?? 2),
    // Only the custom scenario: it joins the mix with its weight, the built-ins keep theirs unless set.
    mix: { simple_query: 0, tool_call: 0, interruption: 0, false_alarm: 0 },
    scenarios: [{ scenario: followUp, weight: 1 }],
    thinkTimeS: { min: 0.2, max: 0.5 },
  });
  console.log(formatConsoleReport(result));
} finally {
  await server?.close();
}
