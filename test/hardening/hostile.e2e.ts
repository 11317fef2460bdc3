import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { run } from "../../src/load/runner.ts";
import { formatConsoleReport } from "../../src/report/console-report.ts";
import { writeExports } from "../../src/report/exports.ts";
import { quickLibrary } from "../helpers/test-audio.ts";
import { scriptedServer } from "../helpers/scripted-server.ts";

const SIMPLE = { simple: 1, tools: 0, interruptions: 0, falseAlarms: 0 };
const TLS_DIR = new URL("../fixtures/tls/", import.meta.url);

describe("servers that fail or attack", () => {
  test("a TCP listener that never speaks WebSocket: connect_error within the connect timeout", async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (silent.address() as { port: number }).port;
      const result = await run({
        server: `ws://127.0.0.1:${port}/ws`,
        concurrency: 2,
        requests: 2,
        seed: 1,
        audioLibrary: quickLibrary(),
        timeoutsS: { connect: 0.3 },
      });
      assert.equal(result.summary.connectionErrors, 4);
      assert.match(result.turns[0]!.error!, /no WebSocket handshake within 300 ms/);
      assert.ok(result.durationMs < 3000, `took ${result.durationMs} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test("escape sequences from the server never reach the terminal raw, and are escaped in turns.csv", async () => {
    const hostile = "\u001b[2J\u001b]0;pwned\u0007boom\u001b[31m red \u0000 =cmd";
    const server = await scriptedServer((connection, message) => {
      if (message.type === "speech_end") connection.send({ event: "error", message: hostile });
    });
    const dir = await mkdtemp(join(tmpdir(), "voxbench-hostile-"));
    try {
      const result = await run({
        server: server.url,
        concurrency: 1,
        requests: 1,
        seed: 1,
        weights: SIMPLE,
        audioLibrary: quickLibrary(),
        runId: "hostile",
      });
      assert.equal(result.turns[0]!.outcome, "server_error");
      const report = formatConsoleReport(result);
      assert.ok(
        !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(report.replace(/\n/g, "")),
        "a control character reached the report",
      );
      assert.match(report, /e\.g\. server error: boom red {2}=cmd/);
      const csv = await readFile((await writeExports(result, dir)).turnsCsv, "utf8");
      assert.ok(!csv.includes("\u001b"));
      assert.ok(csv.includes("\\u001b[2J"));
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("close reasons are recorded with the close code", async () => {
    const server = await scriptedServer((connection, message) => {
      if (message.type === "speech_end") connection.ws.close(4003, "quota exceeded");
    });
    try {
      const result = await run({
        server: server.url,
        concurrency: 1,
        requests: 2,
        seed: 1,
        weights: SIMPLE,
        audioLibrary: quickLibrary(),
        thinkTimeS: { min: 0, max: 0 },
      });
      for (const turn of result.turns) {
        assert.equal(turn.outcome, "closed_by_server");
        assert.equal(turn.close_code, 4003);
        assert.match(turn.error!, /code 4003: quota exceeded/);
      }
    } finally {
      await server.close();
    }
  });
});

describe("real deployments: headers, TLS, secrets", () => {
  test("--header values reach the server and are redacted everywhere voxbench writes", async () => {
    const seen: string[] = [];
    const http = createHttpsServer({
      key: readFileSync(new URL("key.pem", TLS_DIR)),
      cert: readFileSync(new URL("cert.pem", TLS_DIR)),
    });
    const wss = new WebSocketServer({ server: http });
    wss.on("connection", (ws, request) => {
      seen.push(String(request.headers.authorization));
      ws.close(1008, `bad token Bearer s3cret-token-123 for ${request.url}`);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    const port = (http.address() as { port: number }).port;
    const dir = await mkdtemp(join(tmpdir(), "voxbench-secret-"));
    try {
      const result = await run({
        server: `wss://127.0.0.1:${port}/ws?token=qwerty-secret-42`,
        insecure: true,
        headers: { Authorization: "Bearer s3cret-token-123" },
        concurrency: 1,
        requests: 1,
        seed: 1,
        weights: SIMPLE,
        audioLibrary: quickLibrary(),
        runId: "secrets",
      });
      assert.deepEqual(seen, ["Bearer s3cret-token-123"]);
      assert.equal(result.turns[0]!.outcome, "closed_by_server");
      const paths = await writeExports(result, dir);
      for (
        const text of [
          formatConsoleReport(result),
          await readFile(paths.summaryJson, "utf8"),
          await readFile(paths.turnsCsv, "utf8"),
        ]
      ) {
        assert.ok(!text.includes("s3cret-token-123"), "header value leaked");
        assert.ok(!text.includes("qwerty-secret-42"), "query token leaked");
      }
      assert.match(result.turns[0]!.error!, /bad token \[redacted\] for \/ws\?token=\[redacted\]/);
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("wss:// checks certificates by default; --insecure accepts a self-signed one", async () => {
    const http = createHttpsServer({
      key: readFileSync(new URL("key.pem", TLS_DIR)),
      cert: readFileSync(new URL("cert.pem", TLS_DIR)),
    });
    const wss = new WebSocketServer({ server: http });
    wss.on("connection", (ws) => {
      ws.send(JSON.stringify({ event: "connected", session_id: "tls" }));
      ws.on("message", (data) => {
        if (String(data).includes("speech_end")) {
          ws.send(
            JSON.stringify({
              event: "play_audio",
              audio: Buffer.from(new Int16Array(1600).buffer).toString("base64"),
            }),
          );
          ws.send(JSON.stringify({ event: "response_done" }));
        }
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    const url = `wss://127.0.0.1:${(http.address() as { port: number }).port}/ws`;
    try {
      const strict = await run({
        server: url,
        concurrency: 1,
        requests: 1,
        seed: 1,
        weights: SIMPLE,
        audioLibrary: quickLibrary(),
      });
      assert.equal(strict.turns[0]!.outcome, "connect_error");
      assert.match(strict.turns[0]!.error!, /TLS certificate rejected .*use --insecure/);
      const insecure = await run({
        server: url,
        insecure: true,
        concurrency: 1,
        requests: 1,
        seed: 1,
        weights: SIMPLE,
        audioLibrary: quickLibrary(),
        maxGapMs: 0,
      });
      assert.equal(insecure.turns[0]!.outcome, "ok", insecure.turns[0]!.error ?? "");
      assert.equal(insecure.turns[0]!.reply_end, "done_event");
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});
