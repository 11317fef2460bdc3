import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { request } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { type RunningServer, serve } from "../../src/server/server.ts";
import { fromBase64 } from "../../src/protocols/base64.ts";
import { BotClient, fixture, shortReplyVoice, sleep } from "../helpers/bot-client.ts";

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("reference server: the seed protocol", () => {
  let server: RunningServer;
  let logDir: string;
  before(async () => {
    logDir = await mkdtemp(join(tmpdir(), "voxbench-serve-"));
    server = await serve({ port: 0, replyDelayMs: 50, logTurnsPath: join(logDir, "turns.jsonl") });
  });
  after(async () => {
    await server.close();
    await rm(logDir, { recursive: true, force: true });
  });

  test("greets with connected and a session id", async () => {
    const client = await BotClient.connect(server.url);
    const connected = await client.nextEvent("connected");
    assert.match(String(connected.json?.session_id), /^[0-9a-f-]{36}$/);
    await client.close();
  });

  test("answers a query with real-time 100 ms PCM16 chunks of the bot's voice, and no end event by default", async () => {
    const client = await BotClient.connect(server.url);
    await client.nextEvent("connected");
    client.speak(fixture("query_01_balance.wav"));
    const first = await client.nextEvent("play_audio");
    const bytes = fromBase64(String(first.json?.audio));
    assert.equal(bytes?.length, 3200, "100 ms of PCM16 at 16 kHz");
    // The whole reply (about 3 s of speech) arrives over about 3 s.
    await sleep(3400);
    const chunks = client.events("play_audio");
    assert.ok(chunks.length >= 28 && chunks.length <= 32, `${chunks.length} chunks`);
    const spanMs = chunks.at(-1)!.atMs - chunks[0]!.atMs;
    assert.ok(Math.abs(spanMs - (chunks.length - 1) * 100) < 30, `chunks spanned ${spanMs} ms`);
    assert.equal(client.events("response_done").length, 0);
    await client.close();
  });

  test("GET /health answers JSON; other paths are 404", async () => {
    const base = server.url.replace("ws://", "http://").replace("/ws", "");
    const health = await httpGet(`${base}/health`);
    assert.equal(health.status, 200);
    const body = JSON.parse(health.body) as Record<string, unknown>;
    assert.equal(body.status, "ok");
    assert.equal(typeof body.connections, "number");
    assert.equal((await httpGet(`${base}/nope`)).status, 404);
    await assert.rejects(BotClient.connect(server.url.replace("/ws", "/other")), /404/);
  });

  test("noise with no reply in progress is not a turn", async () => {
    const client = await BotClient.connect(server.url);
    await client.nextEvent("connected");
    client.speak(fixture("noise_03_cough.wav"));
    await sleep(400);
    assert.equal(client.frames.length, 1);
    await client.close();
  });

  describe("bad client input gets an error event and the connection stays open", () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ["malformed JSON", "{not json", /malformed JSON/],
      ["a JSON array", "[1,2]", /not a JSON object/],
      ["no type", '{"hello":1}', /no "type"/],
      ["unknown type", '{"type":"dance"}', /unknown message type "dance"/],
      ["speech_end without audio", '{"type":"speech_end"}', /without audio/],
      ["audio that is not base64", '{"type":"speech_end","audio":"%%%"}', /not valid base64/],
      ["audio that is neither WAV nor PCM16", '{"type":"speech_end","audio":"AAEC"}', /neither a WAV/],
      [
        "a broken WAV",
        `{"type":"speech_end","audio":"${
          Buffer.from("RIFF\u0000\u0000\u0000\u0000WAVEjunk").toString("base64")
        }"}`,
        /speech_end audio: .*no fmt chunk/,
      ],
      ["a binary frame", Buffer.from([1, 2, 3]), /binary frames are not supported/],
    ];
    for (const [name, payload, pattern] of cases) {
      test(name, async () => {
        const client = await BotClient.connect(server.url);
        await client.nextEvent("connected");
        client.ws.send(payload);
        const error = await client.nextEvent("error");
        assert.match(String(error.json?.message), pattern);
        // Still open and still working.
        client.speak(fixture("query_02_hours.wav"));
        await client.nextEvent("play_audio");
        assert.equal(client.closeCode, undefined);
        await client.close();
      });
    }
  });

  test("headerless PCM16 at the input rate is accepted", async () => {
    const client = await BotClient.connect(server.url);
    await client.nextEvent("connected");
    const wav = await readFile(fixture("query_03_branch.wav"));
    client.send({ type: "speech_end", audio: wav.subarray(44).toString("base64") });
    await client.nextEvent("play_audio");
    await client.close();
  });

  test("an oversized frame closes that connection with 1009, not the server", async () => {
    const small = await serve({ port: 0, replyDelayMs: 10, maxMessageBytes: 1024 });
    try {
      const client = await BotClient.connect(small.url);
      client.ws.send("x".repeat(5000));
      await client.closed();
      assert.equal(client.closeCode, 1009);
      const again = await BotClient.connect(small.url);
      await again.nextEvent("connected");
      await again.close();
    } finally {
      await small.close();
    }
  });

  test("close() ends open connections with 1001 and flushes the turn log", async () => {
    const path = join(logDir, "close.jsonl");
    const local = await serve({ port: 0, replyDelayMs: 20, logTurnsPath: path });
    const client = await BotClient.connect(local.url);
    await client.nextEvent("connected");
    client.speak(fixture("query_04_fees.wav"));
    await client.nextEvent("play_audio");
    await local.close();
    await client.closed();
    assert.equal(client.closeCode, 1001);
    const lines = (await readFile(path, "utf8")).trim().split("\n").map((line) =>
      JSON.parse(line) as Record<string, unknown>
    );
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.end, "server_closed");
  });

  test("with a fixed reply delay and tool events, a tool turn sends tool_call at once and tool_result with the reply", async () => {
    const toolBot = await serve({
      port: 0,
      replyDelayMs: 120,
      toolEvents: true,
      replyAudio: shortReplyVoice(200),
    });
    try {
      const client = await BotClient.connect(toolBot.url);
      await client.nextEvent("connected");
      const sentAtMs = client.speak(fixture("query_02_hours.wav"), { intent: "tool_call" });
      const call = await client.nextEvent("tool_call");
      const result = await client.nextEvent("tool_result");
      const first = await client.nextEvent("play_audio");
      assert.equal(result.json?.call_id, call.json?.call_id);
      assert.equal(result.json?.duration_ms, 120);
      assert.ok(call.atMs - sentAtMs < 60, `tool_call ${call.atMs - sentAtMs} ms after speech_end`);
      assert.ok(
        result.atMs >= sentAtMs + 119.5 && result.atMs <= first.atMs,
        "the result goes out with the reply",
      );
      await client.close();
    } finally {
      await toolBot.close();
    }
  });

  test("a raw ws client can use it too (plain text frames)", async () => {
    const ws = new WebSocket(server.url);
    const first = await new Promise<string>((resolve) => ws.once("message", (data) => resolve(String(data))));
    assert.match(first, /"event":"connected"/);
    ws.close();
  });
});
