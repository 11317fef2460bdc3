/**
 * voxbench as Twilio, against a Twilio-style bot written independently of src/ (test/helpers/
 * twilio-bot.ts): the messages follow Twilio's shapes, and every number voxbench reports matches
 * the bot's own log of when it received the caller's frames and answered.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/load/runner.ts";
import type { RunOptions } from "../../src/load/options.ts";
import type { TurnRecord } from "../../src/metrics/turn-record.ts";
import { serve } from "../../src/server/server.ts";
import { scriptedServer } from "../helpers/scripted-server.ts";
import { GOOD_BOT, startTwilioBot, type TwilioBotBehaviour, type TwilioCall } from "../helpers/twilio-bot.ts";
import { runCli } from "../helpers/cli.ts";

const ONLY = (
  name: "simple_query" | "tool_call" | "interruption" | "false_alarm",
): Record<string, number> => ({ simple_query: 0, tool_call: 0, interruption: 0, false_alarm: 0, [name]: 1 });

async function against(
  behaviour: TwilioBotBehaviour,
  options: RunOptions,
): Promise<{ turns: readonly TurnRecord[]; calls: TwilioCall[] }> {
  const bot = await startTwilioBot(behaviour);
  try {
    const result = await run({
      protocol: "twilio",
      seed: 4,
      thinkTimeS: { min: 0.2, max: 0.2 },
      idleMs: 600,
      ...options,
      server: bot.url,
    });
    return { turns: result.turns, calls: bot.calls };
  } finally {
    await bot.close();
  }
}

/** When the bot received the caller's chunk `chunk`. */
function receivedAt(call: TwilioCall, chunk: number): number {
  const frame = call.frames.find((candidate) => candidate.chunk === chunk);
  assert.ok(frame, `the bot never received chunk ${chunk}`);
  return frame.atMs;
}

/**
 * The bot's first media after it received the caller's frame `chunk` (the end of speech an
 * interval runs from), and that interval on the bot's own clock. The bot's VAD and voxbench's (on
 * the clip) must find that end of speech within a few frames of each other.
 */
function botReplyAfter(call: TwilioCall, chunk: number): number {
  const reply = call.replies.find((candidate) =>
    candidate.firstMediaSentMs !== undefined && candidate.firstMediaSentMs > receivedAt(call, chunk)
  );
  assert.ok(reply, `no reply after chunk ${chunk}`);
  assert.ok(
    Math.abs(reply.lastSpeechChunk - chunk) <= 3,
    `bot's last speech chunk ${reply.lastSpeechChunk}, voxbench's ${chunk}`,
  );
  return reply.firstMediaSentMs! - receivedAt(call, chunk);
}

describe("Twilio Media Streams: voxbench's caller against an independent Twilio-style bot", () => {
  test("messages follow Twilio's shapes: connected, start (customParameters from --param), 20 ms media with string numbers, mark answers, stop", async () => {
    const { turns, calls } = await against(GOOD_BOT, {
      concurrency: 2,
      requests: 2,
      mix: ONLY("simple_query"),
      parameters: { tenant: "acme", lang: "en" },
    });
    assert.deepEqual(turns.map((turn) => turn.outcome), ["ok", "ok", "ok", "ok"]);
    assert.equal(calls.length, 2);
    for (const call of calls) {
      assert.deepEqual(call.violations, []);
      assert.deepEqual(call.customParameters, { tenant: "acme", lang: "en" });
      assert.equal(call.stopped, true, "stop at hang-up");
      assert.equal(call.messages[0]?.event, "connected");
      assert.equal(call.messages[1]?.event, "start");
      // Every mark is answered, once the audio before it has played: never before its media could have.
      const sent = new Set(call.marksSent);
      assert.ok(
        call.marksEchoed.length >= call.marksSent.length - 2,
        `${call.marksEchoed.length} of ${call.marksSent.length} marks answered`,
      );
      for (const echo of call.marksEchoed) {
        assert.ok(sent.has(echo.name), `answered an unknown mark ${echo.name}`);
      }
      const echoed = call.marksEchoed.map((echo) => echo.name);
      assert.deepEqual(
        echoed,
        [...echoed].sort((a, b) => call.marksSent.indexOf(a) - call.marksSent.indexOf(b)),
        "marks answered in order",
      );
    }
    // Played in real time: 15 chunks of 100 ms take 1.4 s from the first answer to the last.
    const reply = calls[0]!.marksEchoed.filter((echo) => echo.name.startsWith("reply-1-"));
    assert.equal(reply.length, 15);
    const spreadMs = reply.at(-1)!.atMs - reply[0]!.atMs;
    assert.ok(spreadMs > 1350 && spreadMs < 1500, `marks answered over ${spreadMs.toFixed(0)} ms`);
    for (const turn of turns) assert.equal(turn.protocol, "twilio");
  });

  test("ttft_ms = the bot's first media sent - the end-of-speech frame received, on its own log", async () => {
    const { turns, calls } = await against(GOOD_BOT, {
      concurrency: 2,
      requests: 3,
      mix: { simple_query: 1, tool_call: 1 },
    });
    const errors: number[] = [];
    for (const turn of turns) {
      assert.equal(turn.outcome, "ok", turn.error ?? "");
      const call = calls.find((candidate) => candidate.streamSid === turn.session_id) ??
        calls[turn.client_id]!;
      errors.push(turn.ttft_ms! - botReplyAfter(call, turn.speech_end_chunk!));
    }
    errors.sort((a, b) => a - b);
    const median = errors[Math.floor(errors.length / 2)]!;
    // voxbench's interval holds the bot's plus two loopback hops: never shorter, and close.
    assert.ok(
      errors[0]! >= -0.5,
      `voxbench's ttft shorter than the bot's own by ${(-errors[0]!).toFixed(2)} ms`,
    );
    assert.ok(
      median < 3,
      `median excess ${median.toFixed(2)} ms (${errors.map((error) => error.toFixed(2)).join(", ")})`,
    );
  });

  test("interruption: stop_ms = the interrupting speech onset sent -> clear, and recovery_ms = its end of speech sent -> the answer's first media, on the bot's own log", async () => {
    const { turns, calls } = await against(GOOD_BOT, {
      concurrency: 2,
      requests: 2,
      mix: ONLY("interruption"),
    });
    const excesses: number[] = [];
    const recoveryExcesses: number[] = [];
    for (const turn of turns) {
      assert.equal(turn.outcome, "ok", turn.error ?? "");
      const call = calls[turn.client_id]!;
      const stopped = call.replies.filter((reply) => reply.clearSentMs !== undefined);
      assert.ok(stopped.length >= turn.turn_index + 1, "the bot cleared");
      const reply = stopped[turn.turn_index]!;
      // barge_in_chunk pairs the turn with the very frame its stop_ms is measured from.
      const chunk = turn.barge_in_chunk!;
      assert.ok(Number.isInteger(chunk) && chunk > turn.speech_end_chunk!, `barge_in_chunk ${chunk}`);
      // The bot's VAD and voxbench's (on the clip) find the onset within a few frames of each other.
      assert.ok(
        Math.abs(reply.bargeInOnsetChunk! - chunk) <= 3,
        `bot's barge-in onset chunk ${reply.bargeInOnsetChunk}, voxbench's ${chunk}`,
      );
      const botStopMs = reply.clearSentMs! - receivedAt(call, chunk);
      excesses.push(turn.stop_ms! - botStopMs);
      assert.ok(
        turn.stop_ms! >= GOOD_BOT.minSpeechMs - 25,
        `stop_ms ${turn.stop_ms}: a bot needs its minimum speech to hear a barge-in (bot onset chunk ${reply.bargeInOnsetChunk}, barge_in_chunk ${chunk})`,
      );
      assert.equal(turn.stale_chunks, 0);
      assert.ok(
        turn.recovery_ms! > GOOD_BOT.endpointingMs,
        `recovery_ms ${turn.recovery_ms} includes the bot's endpointing`,
      );
      // barge_in_end_chunk pairs recovery_ms with the frame it runs from: the interrupting question's end.
      const endChunk = turn.barge_in_end_chunk!;
      assert.ok(endChunk > chunk, `barge_in_end_chunk ${endChunk}, barge_in_chunk ${chunk}`);
      recoveryExcesses.push(turn.recovery_ms! - botReplyAfter(call, endChunk));
    }
    // voxbench's interval holds the bot's plus two loopback hops: never shorter, and close (the
    // median, as the ttft check above: the bot shares this test's event loop, and one stall of it
    // on a loaded machine lengthens one turn's interval by the stall).
    for (const [metric, values] of [["stop_ms", excesses], ["recovery_ms", recoveryExcesses]] as const) {
      values.sort((a, b) => a - b);
      const median = values[Math.floor(values.length / 2)]!;
      assert.ok(values[0]! >= -0.5, `${metric} shorter than the bot's own by ${(-values[0]!).toFixed(2)} ms`);
      assert.ok(
        median < 3,
        `${metric} median excess ${median.toFixed(2)} ms (${values.map((e) => e.toFixed(2)).join(", ")})`,
      );
    }
  });

  test("interruption against a bot that never sends clear: stop_ms runs to its audio stopping (the end of its reply)", async () => {
    const { turns, calls } = await against({ ...GOOD_BOT, clearOnBargeIn: false }, {
      concurrency: 1,
      requests: 1,
      mix: ONLY("interruption"),
    });
    const turn = turns[0]!;
    assert.equal(turn.outcome, "ok", turn.error ?? "");
    const reply = calls[0]!.replies[0]!;
    assert.equal(reply.clearSentMs, undefined);
    assert.equal(reply.mediaSent, GOOD_BOT.replyMs / GOOD_BOT.chunkMs, "the whole reply went out");
    // The reply's last media left at most 1.5 s after its first; the caller barged in 0.3-0.8 s after it began.
    assert.ok(
      turn.stop_ms! > GOOD_BOT.replyMs - 800 - 50,
      `stop_ms ${turn.stop_ms}: the bot talked on to the end of its reply`,
    );
  });

  test("false alarm: a cough neither stops nor restarts a good bot; a bot that stops for it is false_stop", async () => {
    const good = await against(GOOD_BOT, { concurrency: 2, requests: 2, mix: ONLY("false_alarm") });
    for (const turn of good.turns) {
      assert.equal(turn.outcome, "ok", turn.error ?? "");
      assert.ok(turn.total_ms! > GOOD_BOT.replyMs, "the whole reply was heard");
    }
    const jumpy = await against({ ...GOOD_BOT, minSpeechMs: 60 }, {
      concurrency: 1,
      requests: 2,
      mix: ONLY("false_alarm"),
    });
    for (const turn of jumpy.turns) {
      assert.equal(turn.outcome, "false_stop", turn.error ?? "");
      assert.match(turn.error!, /stopped talking for a noise \(clear\)/);
      assert.ok(turn.ttft_ms !== null, "the reply's ttft is kept");
    }
  });

  test("a malformed message from the bot is a protocol_error, and what was measured is kept", async () => {
    const { turns } = await against({ ...GOOD_BOT, malformedReply: true }, {
      concurrency: 1,
      requests: 1,
      mix: ONLY("simple_query"),
    });
    const turn = turns[0]!;
    assert.equal(turn.outcome, "protocol_error");
    assert.match(turn.error!, /malformed JSON/);
    assert.ok(turn.ttft_ms !== null);
  });
});

describe("voxbench demo --protocol twilio", () => {
  test("runs the default mix against the embedded bot (seed 4 draws every scenario): every turn ok, report and exports", async () => {
    const dir = await mkdtemp(join(tmpdir(), "voxbench-demo-twilio-"));
    try {
      const result = await runCli([
        "demo",
        "--protocol",
        "twilio",
        "--concurrency",
        "3",
        "--requests",
        "3",
        "--seed",
        "4",
        "--export-dir",
        dir,
        "--run-id",
        "demo",
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /LOAD TEST PERFORMANCE REPORT/);
      assert.match(result.stdout, /protocol twilio/);
      const rows = (await readFile(join(dir, "demo", "turns.csv"), "utf8")).trim().split("\n").slice(1);
      assert.equal(rows.length, 9);
      const header = (await readFile(join(dir, "demo", "turns.csv"), "utf8")).split("\n")[0]!.split(",");
      const cells = rows.map((row) => row.split(","));
      assert.deepEqual([...new Set(cells.map((row) => row[header.indexOf("scenario")]))].sort(), [
        "false_alarm",
        "interruption",
        "simple_query",
        "tool_call",
      ]);
      assert.deepEqual([...new Set(cells.map((row) => row[header.indexOf("outcome")]))], ["ok"]);
      assert.deepEqual([...new Set(cells.map((row) => row[header.indexOf("protocol")]))], ["twilio"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the wrong protocol gets a hint", () => {
  test("--protocol twilio against a speech-events bot names speech-events", async () => {
    const bot = await serve({ port: 0, replyDelayMs: 50 });
    try {
      const result = await run({
        server: bot.url,
        protocol: "twilio",
        concurrency: 1,
        requests: 1,
        seed: 1,
        mix: ONLY("simple_query"),
        timeoutsS: { simple_query: 2 },
      });
      assert.equal(result.turns[0]!.outcome, "protocol_error");
      assert.match(
        result.turns[0]!.error!,
        /the server sent speech-events `connected`; did you mean --protocol speech-events\?/,
      );
    } finally {
      await bot.close();
    }
  });

  test("speech-events against a bot sending Twilio media names twilio", async () => {
    const server = await scriptedServer((connection, message) => {
      if (message.type === "speech_end") {
        connection.send({ event: "media", streamSid: "MZ1", media: { payload: "//8=" } });
      }
    });
    try {
      const result = await run({
        server: server.url,
        concurrency: 1,
        requests: 1,
        seed: 1,
        mix: ONLY("simple_query"),
        timeoutsS: { simple_query: 2 },
      });
      assert.equal(result.turns[0]!.outcome, "protocol_error");
      assert.match(
        result.turns[0]!.error!,
        /the server sent Twilio-style `media`; did you mean --protocol twilio\?/,
      );
    } finally {
      await server.close();
    }
  });

  test("an unknown protocol is one line naming the known ones, exit 2", async () => {
    for (const args of [["run", "--protocol", "sip"], ["serve", "--protocol", "sip"]]) {
      const result = await runCli(
        [...args, "--no-export"].filter((arg) => !(args[0] === "serve" && arg === "--no-export")),
      );
      assert.equal(result.code, 2, result.stderr);
      assert.equal(
        result.stderr,
        'voxbench: --protocol: unknown protocol "sip" (known: speech-events, twilio, pcm, openai-realtime)\n',
      );
    }
  });
});
