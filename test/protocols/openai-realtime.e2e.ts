/**
 * OpenAI Realtime, caller side: voxbench against a Realtime bot written in the tests from the
 * API's published event shapes (test/helpers/realtime-bot.ts), every figure checked against the
 * bot's own log; the CLI's refusals; and the demo against the reference bot.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../../src/load/runner.ts";
import type { TurnRecord } from "../../src/metrics/turn-record.ts";
import { runCli } from "../helpers/cli.ts";
import { realtimeBot } from "../helpers/realtime-bot.ts";
import { inTempDir } from "../helpers/temp-files.ts";

const ONLY = (name: string): Record<string, number> => ({
  simple_query: 0,
  tool_call: 0,
  interruption: 0,
  false_alarm: 0,
  [name]: 1,
});

async function runAgainst(
  url: string,
  mix: Record<string, number>,
  extra: Parameters<typeof run>[0] = {},
): Promise<TurnRecord[]> {
  const result = await run({
    server: url,
    protocol: "openai-realtime",
    concurrency: 3,
    requests: 1,
    mix,
    seed: 7,
    thinkTimeS: { min: 0.2, max: 0.3 },
    ...extra,
  });
  return [...result.turns];
}

/**
 * voxbench's figure against the same interval on the bot's own log: from receiving the caller's
 * append number `chunk` (the frame the figure runs from) to `to`. Within 15 ms: the bot shares
 * this test's event loop.
 */
function assertNearBot(
  metric: string,
  measuredMs: number,
  botMs: number,
  interval: { readonly chunk: number; readonly to: string },
): void {
  assert.ok(
    Math.abs(measuredMs - botMs) < 15,
    `${metric} ${measuredMs} vs the bot's ${
      botMs.toFixed(1)
    } (append ${interval.chunk} received -> ${interval.to})`,
  );
}

describe("openai-realtime caller against an independent Realtime bot", () => {
  test("simple queries: session.update first, 20 ms appends of PCM16 24 kHz, ttft and endpoint against the bot's log, usage and status", async () => {
    const bot = await realtimeBot();
    try {
      const records = await runAgainst(bot.url, ONLY("simple_query"));
      assert.equal(records.length, 3);
      for (const call of bot.calls) {
        assert.equal(
          call.received[0]?.type,
          "session.update",
          "the first client event configures the session",
        );
        const session = call.received[0]!.event.session as { audio: { input: { format: unknown } } };
        assert.deepEqual(session.audio.input.format, { type: "audio/pcm", rate: 24000 });
        assert.equal(call.headers["openai-beta"], undefined, "GA sends no beta header");
        assert.ok(
          call.appends.every((append) => append.bytes === 960),
          "every append is 20 ms of PCM16 at 24 kHz",
        );
      }
      for (const record of records) {
        assert.equal(record.outcome, "ok", `${record.error}`);
        const call = bot.calls.find((candidate) =>
          candidate.received.length > 0 && `sess_${bot.calls.indexOf(candidate) + 1}` === record.session_id
        );
        assert.ok(call, `a bot call for session ${record.session_id}`);
        const chunk = record.speech_end_chunk!;
        const response = call.responses.find((candidate) =>
          candidate.firstDeltaSentMs !== undefined &&
          candidate.firstDeltaSentMs > call.appends[chunk - 1]!.atMs
        );
        assertNearBot(
          "ttft_ms",
          record.ttft_ms!,
          response!.firstDeltaSentMs! - call.appends[chunk - 1]!.atMs,
          {
            chunk,
            to: "first delta sent",
          },
        );
        const stoppedMs = call.speechStoppedSentMs.find((atMs) => atMs > call.appends[chunk - 1]!.atMs)!;
        const botEndpointMs = stoppedMs - call.appends[chunk - 1]!.atMs;
        assert.ok(
          Math.abs(record.endpoint_ms! - botEndpointMs) < 15,
          `endpoint_ms ${record.endpoint_ms} vs the bot's ${
            botEndpointMs.toFixed(1)
          } (append ${chunk} received -> speech_stopped sent)`,
        );
        assert.equal(record.response_status, "completed");
        assert.equal(record.input_tokens, 10);
        assert.equal(record.output_tokens, 20);
        assert.equal(record.reply_end, "done_event");
        assert.ok(Math.abs(record.reply_audio_ms! - 3000) < 1, `reply_audio_ms ${record.reply_audio_ms}`);
      }
    } finally {
      await bot.close();
    }
  });

  test("interruption: stop at the cancelled response.done, then conversation.item.truncate with the ms the player played", async () => {
    const bot = await realtimeBot();
    try {
      const records = await runAgainst(bot.url, ONLY("interruption"));
      for (const record of records) assert.equal(record.outcome, "ok", `${record.error}`);
      let truncations = 0;
      for (const call of bot.calls) {
        for (const response of call.responses.filter((candidate) => candidate.cancelledAtMs !== undefined)) {
          const truncate = call.received.find((event) =>
            event.type === "conversation.item.truncate" && event.event.item_id === response.itemId
          );
          assert.ok(truncate, "the interrupted item is truncated");
          // The reply streams at twice real time: the player has played the time since the first delta, not all it received.
          const playedMs = response.cancelledAtMs! - response.firstDeltaSentMs!;
          const audioEndMs = truncate.event.audio_end_ms as number;
          assert.ok(Number.isInteger(audioEndMs));
          assert.ok(
            Math.abs(audioEndMs - playedMs) < 30,
            `audio_end_ms ${audioEndMs} vs ${playedMs.toFixed(0)} ms played`,
          );
          assert.ok(
            audioEndMs < response.audioSentMs,
            `${audioEndMs} ms played of ${response.audioSentMs} ms received`,
          );
          truncations++;
        }
      }
      assert.equal(truncations, records.length);
      for (const record of records) {
        assert.equal(record.response_status, "cancelled/completed");
        // barge_in_chunk: the append holding the interrupting onset, the frame stop_ms runs from.
        const call = bot.calls.find((candidate) =>
          candidate.received.length > 0 && `sess_${bot.calls.indexOf(candidate) + 1}` === record.session_id
        )!;
        const onset = call.appends[record.barge_in_chunk! - 1]!;
        assert.ok(
          record.barge_in_chunk! > record.speech_end_chunk!,
          `barge_in_chunk ${record.barge_in_chunk}`,
        );
        const cancelled = call.responses.find((response) =>
          response.cancelledAtMs !== undefined && response.cancelledAtMs > onset.atMs
        )!;
        assertNearBot("stop_ms", record.stop_ms!, cancelled.cancelledAtMs! - onset.atMs, {
          chunk: record.barge_in_chunk!,
          to: "cancelled",
        });
        assert.ok(
          record.stop_ms! > 150 && record.stop_ms! < 400,
          `stop_ms ${record.stop_ms}: 10 loud frames after the onset`,
        );
        assert.equal(record.stale_chunks, 0);
        // barge_in_end_chunk: the append holding the interrupting question's end, the frame recovery_ms runs from.
        assert.ok(
          record.barge_in_end_chunk! > record.barge_in_chunk!,
          `barge_in_end_chunk ${record.barge_in_end_chunk}`,
        );
        const end = call.appends[record.barge_in_end_chunk! - 1]!;
        const answer = call.responses.find((response) =>
          response.firstDeltaSentMs !== undefined && response.firstDeltaSentMs > end.atMs
        )!;
        assertNearBot("recovery_ms", record.recovery_ms!, answer.firstDeltaSentMs! - end.atMs, {
          chunk: record.barge_in_end_chunk!,
          to: "first delta sent",
        });
      }
    } finally {
      await bot.close();
    }
  });

  test("tool call: the function call's output after --tool-result-ms, then response.create; tool_ms to the next response's first audio", async () => {
    const bot = await realtimeBot();
    try {
      const records = await runAgainst(bot.url, ONLY("tool_call"), { toolResultMs: 300 });
      for (const record of records) {
        assert.equal(record.outcome, "ok", `${record.error}`);
        assert.equal(
          record.response_status,
          "completed/completed",
          "a function call response, then the reply",
        );
      }
      for (const call of bot.calls) {
        for (const toolResponse of call.responses.filter((response) => response.tool)) {
          const index = call.received.findIndex((event) =>
            event.type === "conversation.item.create" && event.atMs > toolResponse.argumentsDoneSentMs!
          );
          const output = call.received[index]!;
          const item = output.event.item as { type: string; call_id: string };
          assert.equal(item.type, "function_call_output");
          assert.equal(item.call_id, `call_${toolResponse.id}`);
          assert.equal(call.received[index + 1]?.type, "response.create");
          const waitedMs = output.atMs - toolResponse.argumentsDoneSentMs!;
          assert.ok(
            waitedMs >= 295 && waitedMs < 400,
            `output sent ${waitedMs.toFixed(0)} ms after the call (--tool-result-ms 300)`,
          );
        }
      }
      for (const [index, record] of records.entries()) {
        const call = bot.calls.find((candidate) =>
          `sess_${bot.calls.indexOf(candidate) + 1}` === record.session_id
        )!;
        const tools = call.responses.filter((response) => response.tool);
        const turnOfCall = records.slice(0, index).filter((other) =>
          other.session_id === record.session_id
        ).length;
        const toolResponse = tools[turnOfCall]!;
        const next = call.responses[call.responses.indexOf(toolResponse) + 1]!;
        const botToolMs = next.firstDeltaSentMs! - toolResponse.argumentsDoneSentMs!;
        assert.ok(
          Math.abs(record.tool_ms! - botToolMs) < 15,
          `tool_ms ${record.tool_ms} vs the bot's ${botToolMs.toFixed(1)}`,
        );
      }
    } finally {
      await bot.close();
    }
  });

  test("beta: the header and beta names; a beta bot to a GA caller is a protocol_error naming --realtime-api", async () => {
    const bot = await realtimeBot({ api: "beta" });
    try {
      const beta = await runAgainst(bot.url, ONLY("simple_query"), {
        realtime: { api: "beta" },
        concurrency: 1,
        requests: 1,
      });
      assert.equal(beta[0]?.outcome, "ok", `${beta[0]?.error}`);
      assert.equal(bot.calls[0]?.headers["openai-beta"], "realtime=v1");
      const session = bot.calls[0]!.received[0]!.event.session as Record<string, unknown>;
      assert.equal(session.input_audio_format, "pcm16", "the beta session is flat");
      const ga = await runAgainst(bot.url, ONLY("simple_query"), { concurrency: 1, requests: 1 });
      assert.equal(ga[0]?.outcome, "protocol_error");
      assert.match(ga[0]!.error!, /beta `response\.audio\.delta`.*--realtime-api beta/);
    } finally {
      await bot.close();
    }
  });

  test("an error event's code reaches turns.csv; a bot closing mid-response keeps ttft_ms", async () => {
    const failing = await realtimeBot({ errorCode: "rate_limit_exceeded" });
    try {
      const records = await runAgainst(failing.url, ONLY("simple_query"), { concurrency: 1, requests: 1 });
      assert.equal(records[0]?.outcome, "server_error");
      assert.match(records[0]!.error!, /rate_limit_exceeded: try again later/);
    } finally {
      await failing.close();
    }
    const closing = await realtimeBot({ closeAfterDeltas: 3 });
    try {
      const records = await runAgainst(closing.url, ONLY("simple_query"), { concurrency: 1, requests: 1 });
      assert.equal(records[0]?.outcome, "closed_by_server");
      assert.ok(records[0]!.ttft_ms! > 0, "the first audio was measured before the close");
      assert.equal(records[0]?.reply_chunks, 3);
      assert.equal(records[0]?.close_code, 1011);
    } finally {
      await closing.close();
    }
  });
});

describe("openai-realtime on the command line", () => {
  test("a session file that is not JSON, or not an object, is one line and exit 2; the flags need the protocol", async () => {
    await inTempDir(async (dir) => {
      const notJson = join(dir, "session.json");
      await writeFile(notJson, "{ audio: ");
      const bad = await runCli([
        "run",
        "--protocol",
        "openai-realtime",
        "--realtime-session",
        notJson,
        "--server",
        "ws://127.0.0.1:9/ws",
      ]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr.trim(), /^.*--realtime-session .*session\.json: not valid JSON$/);
      assert.equal(bad.stderr.trim().split("\n").length, 1);
      await writeFile(notJson, "[1, 2]");
      const array = await runCli([
        "run",
        "--protocol",
        "openai-realtime",
        "--realtime-session",
        notJson,
        "--server",
        "ws://127.0.0.1:9/ws",
      ]);
      assert.equal(array.code, 2);
      assert.match(array.stderr, /must hold a JSON object/);
      await writeFile(notJson, JSON.stringify({ audio: { input: { format: { type: "audio/opus" } } } }));
      const format = await runCli([
        "run",
        "--protocol",
        "openai-realtime",
        "--realtime-session",
        notJson,
        "--server",
        "ws://127.0.0.1:9/ws",
      ]);
      assert.equal(format.code, 2);
      assert.match(format.stderr, /unknown audio format "audio\/opus"/);
      const wrongProtocol = await runCli([
        "run",
        "--protocol",
        "twilio",
        "--realtime-api",
        "beta",
        "--server",
        "ws://127.0.0.1:9/ws",
      ]);
      assert.equal(wrongProtocol.code, 2);
      assert.match(wrongProtocol.stderr, /need --protocol openai-realtime/);
    });
  });

  test("demo --protocol openai-realtime: every scenario ok against the reference bot, in G.711 with manual turns too", async () => {
    const everyScenarioOk = (stdout: string): void => {
      for (const scenario of ["simple_query", "tool_call", "interruption", "false_alarm"]) {
        assert.match(
          stdout,
          new RegExp(`\\n  ${scenario}\\s+(\\d+)\\s+\\1\\s+0\\s+100\\.0%`),
          `${scenario}: every turn ok\n${stdout}`,
        );
      }
    };
    await inTempDir(async (dir) => {
      const session = join(dir, "manual.json");
      await writeFile(
        session,
        JSON.stringify({
          type: "realtime",
          audio: {
            input: { format: { type: "audio/pcmu" }, turn_detection: null },
            output: { format: { type: "audio/pcma" } },
          },
        }),
      );
      const common = [
        "--concurrency",
        "6",
        "--requests",
        "2",
        "--seed",
        "3",
        "--no-export",
        "--think-time",
        "0.2-0.4",
      ];
      // One after the other: two demos at once on a 2-core runner can make the generator late (exit 3).
      const demo = await runCli(["demo", "--protocol", "openai-realtime", ...common]);
      assert.equal(demo.code, 0, demo.stdout.slice(-2000) + demo.stderr);
      everyScenarioOk(demo.stdout);
      const manual = await runCli([
        "demo",
        "--protocol",
        "openai-realtime",
        "--realtime-session",
        session,
        ...common,
      ]);
      assert.equal(manual.code, 0, manual.stdout.slice(-2000) + manual.stderr);
      everyScenarioOk(manual.stdout);
    });
  });
});
