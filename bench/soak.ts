/**
 * Soak: 100 concurrent callers for 10 minutes against the reference bot (in its own process),
 * sampling the generator's heap and RSS and the server's (from /health) every 10 s. Reports the
 * memory over time and the growth after warm-up, so leaks show as a slope.
 *
 *   node --expose-gc --import tsx bench/soak.ts [--minutes 10] [--concurrency 100] [--server-runtime node|deno]
 *   npx deno run -A bench/soak.ts
 */
import process from "node:process";
import { run } from "../src/load/runner.ts";
import { currentRuntime } from "../src/common/runtime.ts";
import { health, option, startServerProcess } from "./support.ts";

const minutes = Number(option("--minutes", "10"));
const concurrency = Number(option("--concurrency", "100"));
const serverRuntime = option("--server-runtime", "node");
const MB = 1048576;
const server = await startServerProcess(serverRuntime, ["--done-event"]);
const port = server.port;

const runtime = currentRuntime();
console.log(
  `soak: ${concurrency} callers for ${minutes} min; generator on ${runtime.name} ${runtime.version}, server on ${serverRuntime}`,
);
console.log(" t (s) | turns | gen heap MiB | gen RSS MiB | srv heap MiB | srv RSS MiB");
const samples: {
  t: number;
  turns: number;
  heap: number;
  rss: number;
  serverHeap: number;
  serverRss: number;
}[] = [];
let turns = 0;
const startMs = performance.now();
const sample = async (): Promise<void> => {
  // With --expose-gc (Node), sample the live heap after a full collection: the sawtooth of garbage
  // would otherwise hide a slow leak.
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const serverHealth = await health(port);
  const row = {
    t: (performance.now() - startMs) / 1000,
    turns,
    heap: memory.heapUsed / MB,
    rss: memory.rss / MB,
    serverHeap: serverHealth.heap_used_bytes! / MB,
    serverRss: serverHealth.memory_rss_bytes! / MB,
  };
  samples.push(row);
  console.log(
    `${row.t.toFixed(0).padStart(6)} | ${String(row.turns).padStart(5)} | ${
      row.heap.toFixed(1).padStart(12)
    } | ${row.rss.toFixed(1).padStart(11)} | ${row.serverHeap.toFixed(1).padStart(12)} | ${
      row.serverRss.toFixed(1).padStart(11)
    }`,
  );
};
const timer = setInterval(() => void sample(), 10_000);
const stop = new AbortController();
setTimeout(() => stop.abort(), minutes * 60_000);
const result = await run({
  server: `ws://127.0.0.1:${port}/ws`,
  concurrency,
  requests: 100_000,
  seed: 1,
  rampUpS: 5,
  signal: stop.signal,
  onTurn: () => turns++,
});
clearInterval(timer);
await sample();
await server.stop();

// Growth after warm-up: a least-squares slope over the samples after the first third.
const slope = (key: "heap" | "rss" | "serverHeap" | "serverRss"): number => {
  const points = samples.filter((point) => point.t >= (minutes * 60) / 3);
  const meanT = points.reduce((sum, point) => sum + point.t, 0) / points.length;
  const meanV = points.reduce((sum, point) => sum + point[key], 0) / points.length;
  const numerator = points.reduce((sum, point) => sum + (point.t - meanT) * (point[key] - meanV), 0);
  const denominator = points.reduce((sum, point) => sum + (point.t - meanT) ** 2, 0);
  return (numerator / denominator) * 60;
};
console.log(
  `turns ${result.summary.turns} (${result.summary.ok} ok, ${
    result.summary.outcomes.cancelled ?? 0
  } cancelled at the stop), valid ${result.health.valid}`,
);
console.log(
  `growth after warm-up (MiB per minute, least squares over the last two thirds): generator heap ${
    slope("heap").toFixed(2)
  }, RSS ${slope("rss").toFixed(2)}; server heap ${slope("serverHeap").toFixed(2)}, RSS ${
    slope("serverRss").toFixed(2)
  }`,
);
console.log(
  `turn records kept for turns.csv: ${result.summary.turns} (the generator's only intended growth)`,
);
process.exit(0);
