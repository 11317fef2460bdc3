import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { WebSocketServer } from "ws";
import { run } from "../../src/load/runner.ts";
import type { RunOptions } from "../../src/load/options.ts";
import { serve } from "../../src/server/server.ts";
import type { FaultKind } from "../../src/server/faults.ts";
import { quickLibrary } from "../helpers/test-audio.ts";

const SIMPLE = { simple: 1, tools: 0, interruptions: 0, falseAlarms: 0 };

async function withFault(
  kind: FaultKind,
  runOptions: RunOptions = {},
  extra: { slowHandshakeMs?: number; pace?: number } = {},
) {
  const library = quickLibrary(1000);
  const server = await serve({
    port: 0,
    replyDelayMs: 50,
    doneEvent: true,
    noiseThresholdMs: 150,
    replyAudio: library,
    pace: extra.pace ?? 1,
    faults: { rate: 1, kinds: [kind], slowHandshakeMs: extra.slowHandshakeMs ?? 2000, dropChunkPercent: 50 },
  });
  try {
    return await run({
      server: server.url,
      concurrency: 2,
      requests: 2,
      seed: 2,
      weights: SIMPLE,
      thinkTimeS: { min: 0, max: 0 },
      audioLibrary: library,
      ...runOptions,
    });
  } finally {
    await server.close();
  }
}

describe("every failing server yields its own outcome, and the run still finishes", () => {
  test("close mid-reply -> closed_by_server, with the close code; the next turn reconnects", async () => {
    const result = await withFault("close");
    assert.equal(result.summary.turns, 4);
    for (const turn of result.turns) {
      assert.equal(turn.outcome, "closed_by_server");
      assert.equal(turn.close_code, 1011);
      assert.match(turn.error!, /code 1011: injected fault: close mid-reply/);
      assert.ok(turn.connect_ms !== null, "each turn after a close opens a new connection");
    }
  });

  test("malformed JSON mid-reply -> protocol_error", async () => {
    const result = await withFault("malformed");
    for (const turn of result.turns) {
      assert.equal(turn.outcome, "protocol_error");
      assert.match(turn.error!, /malformed JSON/);
      assert.ok(turn.total_ms !== null, "the reply was still measured");
    }
  });

  test("no reply -> timeout_first_audio after the scenario's timeout", async () => {
    const result = await withFault("no-reply", { timeoutsS: { simple: 0.5 } });
    for (const turn of result.turns) {
      assert.equal(turn.outcome, "timeout_first_audio");
      assert.match(turn.error!, /no reply audio within 0.5 s/);
    }
  });

  test("error event -> server_error", async () => {
    const result = await withFault("error");
    for (const turn of result.turns) {
      assert.equal(turn.outcome, "server_error");
      assert.match(turn.error!, /injected fault/);
    }
  });

  test("dropped chunks (real-time pace) -> audio_gap", async () => {
    const result = await withFault("drop-chunks");
    for (const turn of result.turns) {
      assert.equal(turn.outcome, "audio_gap", `${turn.outcome} ${turn.error} gap ${turn.longest_gap_ms}`);
      assert.ok(turn.longest_gap_ms! >= 80);
      assert.ok(turn.underruns! >= 1);
    }
  });

  test("slow handshake within the connect timeout: ok, and connect_ms shows it", async () => {
    const result = await withFault("slow-handshake", {}, { slowHandshakeMs: 300 });
    for (const turn of result.turns) assert.equal(turn.outcome, "ok");
    const connects = result.turns.filter((turn) => turn.connect_ms !== null).map((turn) => turn.connect_ms!);
    assert.equal(connects.length, 2);
    assert.ok(connects.every((ms) => ms >= 299), connects.join(", "));
  });

  test("slow handshake beyond the connect timeout -> connect_error for every turn of the caller", async () => {
    const result = await withFault("slow-handshake", { timeoutsS: { connect: 0.2 } }, {
      slowHandshakeMs: 1000,
    });
    assert.equal(result.summary.connectionErrors, 4);
    assert.match(result.turns[0]!.error!, /no WebSocket handshake within 200 ms/);
  });

  test("connection refused -> connect_error, quickly", async () => {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await run({
      server: `ws://127.0.0.1:${port}/ws`,
      concurrency: 3,
      requests: 2,
      seed: 1,
      audioLibrary: quickLibrary(),
    });
    assert.equal(result.summary.turns, 6);
    assert.equal(result.summary.connectionErrors, 6);
    assert.match(result.turns[0]!.error!, /connection refused/);
    assert.ok(result.durationMs < 5000);
  });

  test("handshake rejected with an HTTP status -> connect_error naming the status", async () => {
    const http = createServer((_request, response) => response.end());
    http.on(
      "upgrade",
      (_request, socket) => socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"),
    );
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (http.address() as { port: number }).port;
      const result = await run({
        server: `ws://127.0.0.1:${port}/ws`,
        concurrency: 1,
        requests: 1,
        seed: 1,
        audioLibrary: quickLibrary(),
      });
      assert.equal(result.turns[0]!.outcome, "connect_error");
      assert.match(result.turns[0]!.error!, /HTTP 401/);
    } finally {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  test("binary frames and oversized messages -> protocol_error", async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on("connection", (ws) => {
      ws.send(JSON.stringify({ event: "connected", session_id: "x" }));
      ws.on("message", (data) => {
        const message = JSON.parse(String(data)) as { type: string; audio?: string };
        if (message.type !== "speech_end") return;
        ws.send(Buffer.from([1, 2, 3]), { binary: true });
        ws.send(JSON.stringify({ event: "play_audio", audio: "A".repeat(400_000) }));
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (http.address() as { port: number }).port;
      const result = await run({
        server: `ws://127.0.0.1:${port}/ws`,
        concurrency: 1,
        requests: 1,
        seed: 1,
        weights: SIMPLE,
        audioLibrary: quickLibrary(),
        maxMessageBytes: 100_000,
        timeoutsS: { simple: 2 },
      });
      assert.equal(result.turns[0]!.outcome, "protocol_error");
      assert.match(result.turns[0]!.error!, /binary frame/);
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});
