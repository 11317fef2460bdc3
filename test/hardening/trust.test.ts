/**
 * What a CI pipeline must be able to trust: no wait without a deadline, every measured value kept,
 * failing connections retried on request, and bad options refused before anything starts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { type WebSocket, WebSocketServer } from "ws";
import { run } from "../../src/load/runner.ts";
import { MAX_CONCURRENCY, MAX_TURNS } from "../../src/load/options.ts";
import { defineScenario } from "../../src/scenarios/define.ts";
import { serve } from "../../src/server/server.ts";
import { UsageError } from "../../src/common/errors.ts";
import { quickLibrary } from "../helpers/test-audio.ts";
import { scriptedServer } from "../helpers/scripted-server.ts";

const SIMPLE = { simple: 1, tools: 0, interruptions: 0, falseAlarms: 0 };
const NONE = { simple: 0, tools: 0, interruptions: 0, falseAlarms: 0 };

/** A bot that accepts the connection, greets, streams audio forever, and never reads its socket. */
async function botThatStopsReading(): Promise<{ url: string; close(): Promise<void> }> {
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  const timers = new Set<ReturnType<typeof setInterval>>();
  wss.on("connection", (ws: WebSocket) => {
    (ws as unknown as { _socket: Socket })._socket.pause();
    ws.send(JSON.stringify({ event: "connected", session_id: "deaf" }));
    const chunk = JSON.stringify({
      event: "play_audio",
      audio: Buffer.from(new Uint8Array(3200)).toString("base64"),
    });
    const timer = setInterval(() => ws.readyState === ws.OPEN && ws.send(chunk), 50);
    timers.add(timer);
    ws.on("close", () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `ws://127.0.0.1:${(http.address() as { port: number }).port}/ws`,
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Sends 1 MiB frames until a write cannot complete: more than loopback's socket buffers hold. */
const flood = defineScenario({
  name: "flood",
  description: "writes until the socket is full",
  roles: [],
  timeoutS: 1.5,
  async run(turn) {
    const frame = "x".repeat(1 << 20);
    for (let sent = 0; sent < 64; sent++) await turn.send(frame);
  },
});

describe("1. every write has a deadline", () => {
  test("a bot that stops reading fails the turn as write_timeout within the timeout, and the run ends", async () => {
    const bot = await botThatStopsReading();
    try {
      const startedMs = performance.now();
      const result = await run({
        server: bot.url,
        concurrency: 1,
        requests: 2,
        seed: 1,
        weights: NONE,
        scenarios: [{ scenario: flood, weight: 1 }],
        audioLibrary: quickLibrary(),
        thinkTimeS: { min: 0, max: 0 },
      });
      const elapsedMs = performance.now() - startedMs;
      assert.deepEqual(result.turns.map((turn) => turn.outcome), ["write_timeout", "write_timeout"]);
      assert.match(
        result.turns[0]!.error!,
        /the bot stopped reading: a 1048576-byte frame could not be written within 1\.5 s/,
      );
      assert.ok(elapsedMs < 10_000, `two 1.5 s timeouts took ${elapsedMs.toFixed(0)} ms`);
    } finally {
      await bot.close();
    }
  });

  test("Ctrl-C during a stuck write ends the turn as cancelled at once, never ok", async () => {
    const bot = await botThatStopsReading();
    try {
      const controller = new AbortController();
      const stuck = defineScenario({ ...flood, name: "stuck", timeoutS: 60 });
      const running = run({
        server: bot.url,
        concurrency: 2,
        requests: 5,
        seed: 1,
        weights: NONE,
        scenarios: [{ scenario: stuck, weight: 1 }],
        audioLibrary: quickLibrary(),
        signal: controller.signal,
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const abortedMs = performance.now();
      controller.abort();
      const result = await running;
      assert.ok(
        performance.now() - abortedMs < 3500,
        `stopping took ${(performance.now() - abortedMs).toFixed(0)} ms`,
      );
      assert.equal(result.interrupted, true);
      assert.deepEqual(result.turns.map((turn) => turn.outcome), ["cancelled", "cancelled"]);
      assert.deepEqual(result.turnCounts, { planned: 10, started: 2, completed: 0 });
    } finally {
      await bot.close();
    }
  });
});

describe("7. every measured value is kept, whatever the outcome", () => {
  test("a reply that starts and then breaks off keeps its ttft_ms and the audio that came", async () => {
    const server = await scriptedServer((connection, message) => {
      if (message.type !== "speech_end") return;
      const { done } = connection.stream(3, 20);
      void done.then(() => connection.ws.close(4000, "gone"));
    });
    try {
      const result = await run({
        server: server.url,
        concurrency: 1,
        requests: 1,
        seed: 1,
        weights: SIMPLE,
        audioLibrary: quickLibrary(),
      });
      const turn = result.turns[0]!;
      assert.equal(turn.outcome, "closed_by_server");
      assert.ok(turn.ttft_ms !== null && turn.ttft_ms >= 0, `ttft_ms ${turn.ttft_ms}`);
      assert.equal(turn.reply_chunks, 3);
      assert.equal(turn.reply_audio_ms, 300);
      assert.equal(turn.total_ms, null, "a reply that never ended has no total");
      assert.equal(result.summary.metrics.ttft_ms?.count, 1, "the statistics include it");
    } finally {
      await server.close();
    }
  });

  test("a reply that never ends (timeout_reply_end) keeps its ttft_ms", async () => {
    const server = await scriptedServer((connection, message) => {
      if (message.type === "speech_end") connection.stream(2, 20);
    });
    try {
      const result = await run({
        server: server.url,
        concurrency: 1,
        requests: 1,
        seed: 1,
        weights: { ...NONE, tools: 1 },
        audioLibrary: quickLibrary(),
        replyEnd: "done",
        timeoutsS: { tool: 0.8 },
      });
      const turn = result.turns[0]!;
      assert.equal(turn.outcome, "timeout_reply_end");
      assert.ok(turn.ttft_ms !== null, "ttft_ms kept");
      assert.equal(turn.reply_chunks, 2);
    } finally {
      await server.close();
    }
  });
});

/** A port with nothing listening on it (yet). */
async function freePort(): Promise<number> {
  const probe: TcpServer = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("11. --reconnect", () => {
  test("a bot that comes up after an outage: with --reconnect the turns retry and succeed; without, they are connect_error", async () => {
    const library = quickLibrary(300);
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/ws`;
    const common = {
      server: url,
      concurrency: 2,
      requests: 2,
      seed: 3,
      weights: SIMPLE,
      audioLibrary: library,
      thinkTimeS: { min: 0, max: 0 },
      timeoutsS: { simple: 5 },
    };
    const without = await run(common);
    assert.deepEqual(without.turns.map((turn) => turn.outcome), [
      "connect_error",
      "connect_error",
      "connect_error",
      "connect_error",
    ]);
    assert.equal(without.summary.connectionErrors, 4);

    // The bot starts listening 800 ms into the run: every first connect is refused at least once.
    const running = run({ ...common, reconnect: true });
    await new Promise((resolve) => setTimeout(resolve, 800));
    const bot = await serve({
      port,
      replyDelayMs: 50,
      doneEvent: true,
      noiseThresholdMs: 150,
      replyAudio: library,
    });
    try {
      const result = await running;
      assert.deepEqual(result.turns.map((turn) => turn.outcome), ["ok", "ok", "ok", "ok"]);
      const firstTurns = result.turns.filter((turn) => turn.turn_index === 0);
      assert.ok(
        firstTurns.every((turn) => (turn.connect_attempts ?? 0) > 1),
        `attempts ${firstTurns.map((turn) => turn.connect_attempts)}`,
      );
      assert.equal(result.config.reconnect, true);
    } finally {
      await bot.close();
    }
  });

  test("with --reconnect, a bot that never comes back fails each turn after its timeout, not every turn at once", async () => {
    const port = await freePort();
    const result = await run({
      server: `ws://127.0.0.1:${port}/ws`,
      concurrency: 1,
      requests: 2,
      seed: 3,
      weights: SIMPLE,
      audioLibrary: quickLibrary(),
      thinkTimeS: { min: 0, max: 0 },
      timeoutsS: { simple: 0.6 },
      reconnect: true,
    });
    assert.deepEqual(result.turns.map((turn) => turn.outcome), ["connect_error", "connect_error"]);
    for (const turn of result.turns) {
      assert.ok((turn.connect_attempts ?? 0) >= 2, `attempts ${turn.connect_attempts}`);
      assert.match(turn.error!, /connection refused .* \(\d+ attempts over 0\.\d s\)/);
    }
  });
});

describe("6. bounds and 10. bad options are refused before anything starts", () => {
  const refuse = async (options: Parameters<typeof run>[0], pattern: RegExp): Promise<void> => {
    await assert.rejects(run({ audioLibrary: quickLibrary(), ...options }), (error: unknown) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.match(error.message, pattern);
      return true;
    });
  };

  test("more callers or turns than one process can hold", async () => {
    await refuse({ concurrency: MAX_CONCURRENCY + 1 }, new RegExp(`at most ${MAX_CONCURRENCY}`));
    await refuse({ concurrency: 10, requests: MAX_TURNS }, new RegExp(`at most ${MAX_TURNS}`));
  });

  test("a header value with CR/LF or a control character, named without its value", async () => {
    await refuse(
      { headers: { "X-Token": "abc\r\nInjected: yes" } },
      /^--header "X-Token": the value contains a line break/,
    );
    await refuse(
      { headers: { "X-Token": "abc\u0001def" } },
      /^--header "X-Token": the value contains a control character/,
    );
  });

  test("a URL with a #fragment, and a seed beyond 32 bits", async () => {
    await refuse({ server: "ws://127.0.0.1:8000/ws#part" }, /#fragment/);
    await refuse({ seed: 2 ** 32 }, /--seed must be at most 4294967295/);
  });

  test("thresholds that can never be met", async () => {
    await refuse({ thresholds: ["success_rate>1.5"] }, /fraction from 0 to 1/);
    await refuse({ thresholds: ["error_rate<150%"] }, /fraction from 0 to 1/);
    await refuse({ thresholds: ["ttft.p95<-5"] }, /never negative/);
  });

  test("wss:// to a plain port: one line saying so", async () => {
    const plain = createHttpServer((_request, response) => response.end());
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (plain.address() as { port: number }).port;
      const result = await run({
        server: `wss://127.0.0.1:${port}/ws`,
        concurrency: 1,
        requests: 1,
        seed: 1,
        audioLibrary: quickLibrary(),
      });
      const error = result.turns[0]!.error!;
      assert.equal(result.turns[0]!.outcome, "connect_error");
      assert.match(error, /^TLS handshake failed: the server does not speak TLS on this port/);
      assert.ok(!error.includes("\n") && !/SSL routines/.test(error), error);
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });
});
