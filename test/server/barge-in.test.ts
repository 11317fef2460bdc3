import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, serve } from "../../src/server/server.ts";
import type { TurnLogRecord } from "../../src/server/turn-log.ts";
import { BotClient, fixture, shortReplyVoice, sleep } from "../helpers/bot-client.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "voxbench-barge-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withServer(
  options: Parameters<typeof serve>[0],
  body: (server: RunningServer, client: BotClient) => Promise<void>,
): Promise<TurnLogRecord[]> {
  const logPath = join(dir, `log-${Math.random()}.jsonl`);
  const server = await serve({ port: 0, logTurnsPath: logPath, ...options });
  try {
    const client = await BotClient.connect(server.url);
    await client.nextEvent("connected");
    await body(server, client);
    await client.close();
  } finally {
    await server.close();
  }
  return (await readFile(logPath, "utf8"))
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TurnLogRecord);
}

// Upper bounds on delivered times are generous: a frame can only arrive late, never early, and
// these machines are shared (seen: one delivery 17 ms late). Lower bounds stay exact, and exact
// agreement with the server's own clock is checked in test/load/accuracy.test.ts.
describe("barge-in, false alarm and resume", () => {
  test("speech_start while playing -> stop_playback at once; noise -> playback_resume from where it stopped", async () => {
    const records = await withServer(
      { replyDelayMs: 50, doneEvent: true, replyAudio: shortReplyVoice(1500) },
      async (_server, client) => {
        client.speak(fixture("query_01_balance.wav"));
        await client.nextEvent("play_audio");
        await sleep(400);
        const from = client.frames.length;
        const startSentMs = client.send({ type: "speech_start" });
        const stop = await client.nextEvent("stop_playback", 2000, from);
        assert.ok(stop.atMs - startSentMs < 50, `stop took ${stop.atMs - startSentMs} ms`);
        await sleep(300);
        const afterStop = client.frames.slice(client.frames.indexOf(stop) + 1);
        assert.equal(
          afterStop.filter((frame) => frame.json?.event === "play_audio").length,
          0,
          "audio kept coming after the stop",
        );
        client.speechEnd(fixture("noise_01_mhmm.wav"));
        const resume = await client.nextEvent("playback_resume", 2000, from);
        const nextChunk = await client.next((frame) =>
          frame.json?.event === "play_audio" && frame.atMs > resume.atMs
        );
        assert.ok(nextChunk.atMs - resume.atMs < 50);
        await client.nextEvent("response_done", 3000, from);
        assert.equal(client.events("play_audio").length, 15, "every chunk exactly once");
        assert.equal(client.events("playback_reset").length, 0);
      },
    );
    assert.equal(records.length, 1);
    assert.equal(records[0]!.interrupted, true);
    assert.equal(records[0]!.resumed, true);
    assert.equal(records[0]!.end, "completed");
    assert.equal(records[0]!.chunks_sent, 15);
  });

  test("speech_start while playing, then real speech -> playback_reset, cancel, and a new answer", async () => {
    const records = await withServer(
      { replyDelayMs: 50, doneEvent: true, replyAudio: shortReplyVoice(1500) },
      async (_server, client) => {
        client.speak(fixture("query_01_balance.wav"));
        await client.nextEvent("play_audio");
        await sleep(300);
        const from = client.frames.length;
        client.send({ type: "speech_start" });
        await client.nextEvent("stop_playback", 2000, from);
        const newQuestionSentMs = client.speechEnd(fixture("interrupt_01_card.wav"));
        const reset = await client.nextEvent("playback_reset", 2000, from);
        const newAudio = await client.next((frame) =>
          frame.json?.event === "play_audio" && frame.atMs > reset.atMs
        );
        const newDelayMs = newAudio.atMs - newQuestionSentMs;
        assert.ok(
          newDelayMs >= 49.9,
          `the new answer has its own delay (came ${newDelayMs} ms after the new question)`,
        );
        await client.nextEvent("response_done", 3000, from);
        assert.equal(client.events("playback_resume").length, 0);
      },
    );
    assert.equal(records.length, 2);
    assert.equal(records[0]!.end, "cancelled");
    assert.equal(records[0]!.interrupted, true);
    assert.ok(records[0]!.chunks_sent < 15);
    assert.equal(records[1]!.end, "completed");
  });

  test("speech_start while the reply is still pending -> stop_playback; after noise the reply plays when ready", async () => {
    const records = await withServer(
      { replyDelayMs: 400, doneEvent: true, replyAudio: shortReplyVoice(300) },
      async (_server, client) => {
        const sentMs = client.speak(fixture("query_02_hours.wav"));
        await sleep(100);
        client.send({ type: "speech_start" });
        await client.nextEvent("stop_playback");
        client.speechEnd(fixture("noise_02_uh.wav"));
        await client.nextEvent("playback_resume");
        const first = await client.nextEvent("play_audio");
        assert.ok(
          first.atMs - sentMs >= 399 && first.atMs - sentMs < 450,
          `first chunk at ${first.atMs - sentMs} ms`,
        );
        await client.nextEvent("response_done");
      },
    );
    assert.equal(records[0]!.resumed, true);
    assert.equal(records[0]!.end, "completed");
  });

  test("a reply sent faster than real time is still 'playing' until its audio would end", async () => {
    await withServer(
      { replyDelayMs: 20, doneEvent: true, pace: 10, replyAudio: shortReplyVoice(1500) },
      async (_server, client) => {
        client.speak(fixture("query_03_branch.wav"));
        await client.nextEvent("response_done"); // all chunks out after about 150 ms
        await sleep(200);
        client.send({ type: "speech_start" });
        await client.nextEvent("stop_playback");
      },
    );
  });

  test("after a reply's audio has ended, speech_start is just a new turn starting", async () => {
    await withServer(
      { replyDelayMs: 20, doneEvent: true, replyAudio: shortReplyVoice(200) },
      async (_server, client) => {
        client.speak(fixture("query_03_branch.wav"));
        await client.nextEvent("response_done");
        await sleep(250);
        const from = client.frames.length;
        client.send({ type: "speech_start" });
        await sleep(200);
        assert.equal(client.frames.length, from);
      },
    );
  });
});
