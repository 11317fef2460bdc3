/**
 * Raw PCM: voxbench against a bot written here from the protocol's description alone (binary PCM16
 * both ways, `clear` and `response_done` as JSON text), and the demo against the reference bot.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type WebSocket, WebSocketServer } from "ws";
import { run } from "../../src/load/runner.ts";
import { runCli } from "../helpers/cli.ts";

const SIMPLE = { simple_query: 1, tool_call: 0, interruption: 0, false_alarm: 0 };

interface RawBot {
  readonly url: string;
  /** Per connection: the byte length of every binary frame the caller sent, and when. */
  readonly calls: {
    frames: { bytes: number; atMs: number; loud: boolean }[];
    endOfSpeechAtMs: number[];
    firstReplySentMs: number[];
  }[];
  close(): Promise<void>;
}

/** A raw-PCM bot at 16 kHz: energy VAD (speech from 20 ms frames above ~-40 dBFS), 400 ms of silence ends an utterance; the reply is 1 s of tone in 100 ms binary chunks, then response_done. */
async function rawPcmBot(options: { sendUnknownText?: boolean } = {}): Promise<RawBot> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  const calls: RawBot["calls"] = [];
  const tone = Buffer.alloc(3200);
  for (let i = 0; i < 1600; i++) {
    tone.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 16000)), i * 2);
  }
  wss.on("connection", (ws: WebSocket) => {
    const call: RawBot["calls"][number] = { frames: [], endOfSpeechAtMs: [], firstReplySentMs: [] };
    calls.push(call);
    let speech = 0;
    let silence = 0;
    let replying = false;
    ws.on("message", (data, isBinary) => {
      const atMs = performance.now();
      if (!isBinary) return;
      const bytes = data as Buffer;
      let sum = 0;
      for (let i = 0; i + 1 < bytes.length; i += 2) sum += bytes.readInt16LE(i) ** 2;
      const loud = Math.sqrt(sum / (bytes.length / 2)) / 32768 > 0.01;
      call.frames.push({ bytes: bytes.length, atMs, loud });
      if (loud) {
        speech++;
        silence = 0;
        return;
      }
      silence++;
      if (speech >= 20 && silence * 20 >= 400 && !replying) {
        speech = 0;
        replying = true;
        call.endOfSpeechAtMs.push(atMs);
        if (options.sendUnknownText) ws.send(JSON.stringify({ type: "transcript", text: "hello" }));
        let sent = 0;
        const timer = setInterval(() => {
          if (ws.readyState !== ws.OPEN) return clearInterval(timer);
          if (sent === 0) call.firstReplySentMs.push(performance.now());
          ws.send(tone, { binary: true });
          if (++sent === 10) {
            clearInterval(timer);
            ws.send(JSON.stringify({ type: "response_done" }));
            replying = false;
          }
        }, 100);
      }
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `ws://127.0.0.1:${(http.address() as { port: number }).port}/pcm`,
    calls,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

describe("raw PCM", () => {
  test("the caller streams 20 ms binary PCM16 frames; replies end with response_done; ttft against the bot's own log", async () => {
    const bot = await rawPcmBot({ sendUnknownText: true });
    try {
      const result = await run({
        server: bot.url,
        protocol: "pcm",
        concurrency: 2,
        requests: 2,
        seed: 3,
        mix: SIMPLE,
        thinkTimeS: { min: 0.2, max: 0.2 },
      });
      for (const turn of result.turns) {
        assert.equal(turn.outcome, "ok", turn.error ?? "");
        assert.equal(turn.reply_end, "done_event");
        assert.equal(turn.reply_audio_ms, 1000);
        assert.equal(turn.protocol, "pcm");
      }
      for (const call of bot.calls) {
        assert.ok(call.frames.length > 100);
        assert.ok(call.frames.every((frame) => frame.bytes === 640), "20 ms of PCM16 at 16 kHz per frame");
        // Real time: 50 frames a second.
        const spanMs = call.frames.at(-1)!.atMs - call.frames[0]!.atMs;
        assert.ok(
          Math.abs(call.frames.length - 1 - spanMs / 20) < 5,
          `${call.frames.length} frames over ${spanMs.toFixed(0)} ms`,
        );
      }
      // ttft against the bot's own log: from its receipt of the frame voxbench marks as the end of
      // speech (speech_end_chunk: frame k is the k-th binary frame) to its first reply frame sent.
      const excess = result.turns.map((turn) => {
        const call = bot.calls[turn.client_id]!;
        const endReceivedMs = call.frames[turn.speech_end_chunk! - 1]!.atMs;
        const firstReplyMs = call.firstReplySentMs.find((sentMs) => sentMs > endReceivedMs)!;
        return turn.ttft_ms! - (firstReplyMs - endReceivedMs);
      });
      assert.ok(
        excess.every((value) => value > -0.5 && value < 10),
        `voxbench ttft - the bot's own interval: ${excess.map((value) => value.toFixed(2)).join(", ")}`,
      );
      assert.equal(result.summary.outcomes.ok, 4);
    } finally {
      await bot.close();
    }
  });

  test("voxbench demo --protocol pcm: the default mix (seed 4 draws every scenario), every turn ok, exports", async () => {
    const dir = await mkdtemp(join(tmpdir(), "voxbench-demo-pcm-"));
    try {
      const result = await runCli([
        "demo",
        "--protocol",
        "pcm",
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
      const lines = (await readFile(join(dir, "demo", "turns.csv"), "utf8")).trim().split("\n");
      const header = lines[0]!.split(",");
      const rows = lines.slice(1).map((line) => line.split(","));
      assert.deepEqual([...new Set(rows.map((row) => row[header.indexOf("scenario")]))].sort(), [
        "false_alarm",
        "interruption",
        "simple_query",
        "tool_call",
      ]);
      assert.deepEqual([...new Set(rows.map((row) => row[header.indexOf("outcome")]))], ["ok"]);
      // Interruption turns name the frames holding the barge-in onset (stop_ms starts there) and its end (recovery_ms starts there), after the question's end.
      for (const row of rows) {
        const chunk = (name: string): number => Number(row[header.indexOf(name)]);
        const interruption = row[header.indexOf("scenario")] === "interruption";
        assert.equal(row[header.indexOf("barge_in_chunk")] !== "", interruption);
        assert.equal(row[header.indexOf("barge_in_end_chunk")] !== "", interruption);
        if (interruption) {
          assert.ok(chunk("barge_in_chunk") > chunk("speech_end_chunk"));
          assert.ok(chunk("barge_in_end_chunk") > chunk("barge_in_chunk"));
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
