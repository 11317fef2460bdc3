/**
 * The reference server's own timing under load: the first-chunk delay error (actual minus
 * configured, from the server's --log-turns) at 100, 500 and 1,000 concurrent turns, and the
 * server process's CPU and memory per connection (from its /health).
 *
 * The server runs in its own process (`voxbench serve --reply-delay-ms 500`), on Node or Deno;
 * this process opens the connections and sends one real query per connection, spread over three
 * seconds, so the turns overlap (500 ms delay then a 3 s reply at real-time pace).
 *
 *   node --import tsx bench/server-delay.ts [--runtime node|deno] [--counts 100,500,1000]
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import WebSocket from "ws";
import { toBase64 } from "../src/protocols/base64.ts";
import { summarize } from "../src/metrics/percentiles.ts";
import { health, option, ROOT, startServerProcess } from "./support.ts";

const runtime = option("--runtime", "node");
/** Arrivals spread over 3 s: with 3.5 s turns, all of them are in progress together around t = 3 s. */
const SPREAD_MS = 3000;
const counts = option("--counts", "100,500,1000").split(",").map(Number);
const speechEnd = JSON.stringify({
  type: "speech_end",
  audio: toBase64(new Uint8Array(readFileSync(join(ROOT, "fixtures/query_01_balance.wav")))),
});

async function measure(count: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "voxbench-bench-"));
  const logPath = join(dir, "turns.jsonl");
  const server = await startServerProcess(runtime, ["--reply-delay-ms", "500", "--log-turns", logPath]);
  const url = server.url;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const idle = await health(server.port);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i++) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.on("message", () => {});
    sockets.push(ws);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const connected = await health(server.port);
  const startMs = performance.now();
  sockets.forEach((ws, index) => {
    setTimeout(() => ws.send(speechEnd), (index / count) * SPREAD_MS);
  });
  // Replies last about 3 s after a 500 ms delay; wait for the last one to finish.
  await new Promise((resolve) => setTimeout(resolve, SPREAD_MS + 500 + 3500));
  const busy = await health(server.port);
  const elapsedS = (performance.now() - startMs) / 1000;
  for (const ws of sockets) ws.close();
  await server.stop();
  const records = (await readFile(logPath, "utf8"))
    .trim()
    .split("\n")
    .map((line) =>
      JSON.parse(line) as { first_chunk_delay_ms: number | null; configured_delay_ms: number; end: string }
    );
  const errors = records.filter((record) => record.first_chunk_delay_ms !== null).map((record) =>
    record.first_chunk_delay_ms! - record.configured_delay_ms
  );
  const stats = summarize(errors);
  const perConnectionKb = (connected.memory_rss_bytes! - idle.memory_rss_bytes!) / count / 1024;
  const turnCpuMs = ((busy.cpu_seconds! - connected.cpu_seconds!) * 1000) / count;
  console.log(
    [
      `${runtime.padEnd(5)} ${String(count).padStart(5)} turns`,
      `delay error p50 ${stats?.median.toFixed(2)} ms  p99 ${stats?.p99.toFixed(2)} ms  max ${
        stats?.max.toFixed(2)
      } ms`,
      `completed ${records.filter((record) => record.end === "completed").length}/${count}`,
      `RSS +${perConnectionKb.toFixed(1)} KiB/connection`,
      `CPU ${turnCpuMs.toFixed(2)} ms/turn (${
        ((busy.cpu_seconds! - connected.cpu_seconds!) / elapsedS * 100).toFixed(0)
      }% of a core)`,
    ].join(" | "),
  );
  await rm(dir, { recursive: true, force: true });
}

console.log(
  `reference server on ${runtime}: first-chunk delay error (actual - configured 500 ms), server-side clock`,
);
for (const count of counts) await measure(count);
process.exit(0);
