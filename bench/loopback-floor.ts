/**
 * The machine's own floor for timing fidelity: how long a WebSocket message takes from one process
 * to another on loopback (half of a ping-pong round trip), for a tiny message and for one the size
 * of a 2 s speech_end (100 KB), with both processes idle between messages and with them kept busy.
 * No client can agree with a server's clock better than this: read bench/fidelity.ts against it.
 *
 *   node --import tsx bench/loopback-floor.ts [--echo-runtime node|deno]
 *   npx deno run -A bench/loopback-floor.ts
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import WebSocket, { WebSocketServer } from "ws";
import { currentRuntime } from "../src/common/runtime.ts";
import { summarize } from "../src/metrics/percentiles.ts";
import { option, ROOT } from "./support.ts";

const ROUNDS = 200;

if (process.argv.includes("--echo-server")) {
  const wss: WebSocketServer = new WebSocketServer({ port: 0, host: "127.0.0.1" }, (): void => {
    console.log(`listening ${(wss.address() as { port: number }).port}`);
  });
  wss.on(
    "connection",
    (ws: WebSocket) => ws.on("message", (data: Buffer) => ws.send(data, { binary: false })),
  );
} else {
  const echoRuntime = option("--echo-runtime", "node");
  const script = fileURLToPath(import.meta.url);
  const [command, ...prefix] = echoRuntime === "deno"
    ? [`${ROOT}node_modules/deno/deno`, "run", "-A"]
    : [process.execPath, "--import", "tsx"];
  const echo = spawn(command!, [...prefix, script, "--echo-server"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve) => {
    echo.stdout!.on("data", (chunk: Buffer) => {
      const match = /listening (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
  });
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await new Promise((resolve) => ws.once("open", resolve));
  const runtime = currentRuntime();
  console.log(
    `loopback floor: ${runtime.name} ${runtime.version} client, ${echoRuntime} echo server; one way = round trip / 2, ${ROUNDS} rounds`,
  );
  for (
    const [label, bytes, gapMs] of [
      ["40 B (a speech_start), idle between", 40, 50],
      ["100 KB (a 2 s speech_end), idle between", 100_000, 50],
      ["40 B, busy (1 ms apart)", 40, 1],
      ["100 KB, busy (1 ms apart)", 100_000, 1],
    ] as const
  ) {
    const payload = "x".repeat(bytes);
    const oneWayMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      const sentMs = performance.now();
      ws.send(payload);
      await new Promise((resolve) => ws.once("message", resolve));
      oneWayMs.push((performance.now() - sentMs) / 2);
    }
    const stats = summarize(oneWayMs)!;
    console.log(
      `  ${label.padEnd(42)} one way p50 ${stats.median.toFixed(2)} ms, p99 ${stats.p99.toFixed(2)} ms`,
    );
  }
  ws.close();
  echo.kill();
  process.exit(0);
}
