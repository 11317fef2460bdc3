import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../src/server/server.ts";
import type { TurnLogRecord } from "../../src/server/turn-log.ts";
import { BotClient, fixture, median, shortReplyVoice, sleep } from "../helpers/bot-client.ts";

async function readLog(path: string): Promise<TurnLogRecord[]> {
  return (await readFile(path, "utf8"))
    .trim()
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as TurnLogRecord);
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "voxbench-timing-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Upper bounds on delivered times are generous: a frame can only arrive late, never early, and
// these machines are shared (seen: one delivery 17 ms late). Lower bounds stay exact, and exact
// agreement with the server's own clock is checked in test/load/accuracy.test.ts.
describe("first-chunk delay against --reply-delay-ms", () => {
  test("300 ms: the server's first chunk leaves within 2 ms of the deadline (median), never before it", async () => {
    const logPath = join(dir, "delay.jsonl");
    const server = await serve({
      port: 0,
      replyDelayMs: 300,
      logTurnsPath: logPath,
      doneEvent: true,
      replyAudio: shortReplyVoice(300),
    });
    const clientMs: number[] = [];
    try {
      const clients = await Promise.all(Array.from({ length: 4 }, () => BotClient.connect(server.url)));
      for (let round = 0; round < 4; round++) {
        await Promise.all(
          clients.map(async (client, index) => {
            await sleep(index * 40); // staggered: each speech_end reaches an idle server
            const from = client.frames.length;
            client.speak(fixture("query_05_card.wav"));
            const first = await client.nextEvent("play_audio", 5000, from);
            clientMs.push(first.atMs - client.lastFlushedAtMs);
            await client.nextEvent("response_done", 5000, from);
          }),
        );
        await sleep(350); // the 300 ms reply's audio ends before the next turn
      }
      await Promise.all(clients.map((client) => client.close()));
    } finally {
      await server.close();
    }
    const records = await readLog(logPath);
    assert.equal(records.length, 16);
    assert.ok(records.every((record) => record.configured_delay_ms === 300 && record.end === "completed"));
    const errorsMs = records.map((record) => record.first_chunk_delay_ms! - 300);
    assert.ok(Math.min(...errorsMs) >= -0.02, `a first chunk left ${Math.min(...errorsMs)} ms early`);
    // Typically 0.4-0.9 ms here; 2 ms (DESIGN's fidelity bar) leaves room for a busy shared CI
    // machine (seen: 1.15 ms on Deno) while still catching any processing added to the delay.
    assert.ok(median(errorsMs) <= 2, `median error ${median(errorsMs)} ms`);
    // What a client on loopback sees from its speech_end leaving: the server's delay plus transport.
    assert.ok(median(clientMs) >= 299.98 && median(clientMs) <= 303, `client saw ${median(clientMs)} ms`);
  });

  test("chunks follow at chunkMs / pace on absolute deadlines", async () => {
    const logPath = join(dir, "pace.jsonl");
    const server = await serve({ port: 0, replyDelayMs: 50, chunkMs: 100, pace: 2, logTurnsPath: logPath });
    try {
      const client = await BotClient.connect(server.url);
      client.speak(fixture("query_01_balance.wav"));
      await client.nextEvent("play_audio");
      await sleep(2500);
      const chunks = client.events("play_audio");
      const offsets = chunks.map((chunk) => chunk.atMs - chunks[0]!.atMs);
      offsets.forEach((offsetMs, index) => {
        assert.ok(
          Math.abs(offsetMs - index * 50) < 20,
          `chunk ${index} at +${offsetMs} ms, due at +${index * 50}`,
        );
      });
      await client.close();
    } finally {
      await server.close();
    }
  });
});

describe("the simulated pipeline", () => {
  test("fixed stage delays add up; a tool call adds the tool delay; metrics and tool events report them", async () => {
    const logPath = join(dir, "pipeline.jsonl");
    const server = await serve({
      port: 0,
      sttMs: { kind: "fixed", ms: 40 },
      llmTtftMs: { kind: "fixed", ms: 60 },
      ttsTtfbMs: { kind: "fixed", ms: 30 },
      toolMs: { kind: "fixed", ms: 200 },
      metricsEvents: true,
      toolEvents: true,
      doneEvent: true,
      replyAudio: shortReplyVoice(300),
      logTurnsPath: logPath,
    });
    try {
      const client = await BotClient.connect(server.url);
      let from = client.frames.length;
      let sentAtMs = client.speak(fixture("query_01_balance.wav"));
      let first = await client.nextEvent("play_audio", 5000, from);
      assert.ok(
        first.atMs - sentAtMs >= 129.5 && first.atMs - sentAtMs < 180,
        `query: ${first.atMs - sentAtMs} ms`,
      );
      const metrics = await client.nextEvent("metrics", 5000, from);
      assert.equal(metrics.json?.stt_ms, 40);
      assert.equal(metrics.json?.llm_ttft_ms, 60);
      assert.equal(metrics.json?.tts_ttfb_ms, 30);
      assert.equal(metrics.json?.tool_ms, undefined);
      assert.ok(Number(metrics.json?.queue_ms) < 2);
      await client.nextEvent("response_done", 5000, from);
      await sleep(350);

      from = client.frames.length;
      sentAtMs = client.speak(fixture("query_02_hours.wav"), { intent: "tool_call" });
      const toolCall = await client.nextEvent("tool_call", 5000, from);
      const toolResult = await client.nextEvent("tool_result", 5000, from);
      first = await client.nextEvent("play_audio", 5000, from);
      assert.ok(toolCall.atMs < toolResult.atMs && toolResult.atMs < first.atMs);
      assert.ok(
        first.atMs - sentAtMs >= 329.5 && first.atMs - sentAtMs < 380,
        `tool: ${first.atMs - sentAtMs} ms`,
      );
      assert.equal((await client.nextEvent("metrics", 5000, from)).json?.tool_ms, 200);
      await client.nextEvent("response_done", 5000, from);
      await sleep(350);

      from = client.frames.length;
      client.speak(fixture("tool_01_balance.wav")); // 3.05 s: a tool call by length
      await client.nextEvent("tool_call", 5000, from);
      await client.nextEvent("response_done", 5000, from);
      await client.close();
    } finally {
      await server.close();
    }
    const records = await readLog(logPath);
    assert.deepEqual(records.map((record) => record.kind), ["query", "tool", "tool"]);
    assert.ok(records.every((record) => record.stt_ms === 40 && record.tts_ttfb_ms === 30));
  });

  test("log-normal delays are seeded: the same seed gives the same delays", async () => {
    const delaysFor = async (seed: number): Promise<number[]> => {
      const logPath = join(dir, `seed-${seed}-${Math.random()}.jsonl`);
      const server = await serve({
        port: 0,
        seed,
        doneEvent: true,
        logTurnsPath: logPath,
        replyAudio: shortReplyVoice(200),
      });
      try {
        const client = await BotClient.connect(server.url);
        for (let turn = 0; turn < 3; turn++) {
          const from = client.frames.length;
          client.speak(fixture("query_03_branch.wav"));
          await client.nextEvent("response_done", 10000, from);
          await sleep(250);
        }
        await client.close();
      } finally {
        await server.close();
      }
      const records = await readLog(logPath);
      for (const record of records) {
        const stagesMs = record.stt_ms! + record.queue_ms! + record.llm_ttft_ms! + record.tts_ttfb_ms!;
        assert.ok(
          Math.abs(record.configured_delay_ms! - stagesMs) < 0.01,
          "the first-chunk deadline is the sum of the stages",
        );
        assert.equal(record.queue_ms, 0);
      }
      return records.map((record) => record.configured_delay_ms!);
    };
    const first = await delaysFor(7);
    const second = await delaysFor(7);
    const other = await delaysFor(8);
    first.forEach((delay, index) => assert.ok(Math.abs(delay - second[index]!) < 0.01));
    assert.notDeepEqual(first.map(Math.round), other.map(Math.round));
  });

  test("--max-concurrent-replies queues turns beyond the slots, and reports the queue time", async () => {
    const logPath = join(dir, "capacity.jsonl");
    const server = await serve({
      port: 0,
      sttMs: { kind: "fixed", ms: 10 },
      llmTtftMs: { kind: "fixed", ms: 10 },
      ttsTtfbMs: { kind: "fixed", ms: 10 },
      maxConcurrentReplies: 1,
      replyAudio: shortReplyVoice(800), // each reply takes 800 ms to send
      doneEvent: true,
      logTurnsPath: logPath,
    });
    try {
      const [a, b] = await Promise.all([BotClient.connect(server.url), BotClient.connect(server.url)]);
      const sentA = a!.speak(fixture("query_01_balance.wav"));
      const sentB = b!.speak(fixture("query_01_balance.wav"));
      const [firstA, firstB] = await Promise.all([a!.nextEvent("play_audio"), b!.nextEvent("play_audio")]);
      const [earlier, later] = firstA.atMs - sentA < firstB.atMs - sentB
        ? [firstA.atMs - sentA, firstB.atMs - sentB]
        : [firstB.atMs - sentB, firstA.atMs - sentA];
      assert.ok(earlier < 60, `first turn waited ${earlier} ms`);
      assert.ok(later > 600, `second turn did not queue (${later} ms)`);
      await Promise.all([a!.nextEvent("response_done"), b!.nextEvent("response_done")]);
      await Promise.all([a!.close(), b!.close()]);
    } finally {
      await server.close();
    }
    const queues = (await readLog(logPath)).map((record) => record.queue_ms!).sort((x, y) => x - y);
    assert.ok(queues[0]! < 5 && queues[1]! > 600, `queue_ms ${queues.join(", ")}`);
  });
});
