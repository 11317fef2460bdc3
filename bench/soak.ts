/**
 * Soak: 100 concurrent callers for 10 minutes against the reference bot (in its own process),
 * sampling the generator's heap and RSS and the server's (from /health) every 10 s. Reports the
 * memory over time and the growth after warm-up, so leaks show as a slope.
 *
 *   node --import tsx bench/soak.ts [--minutes 10] [--concurrency 100] [--server-runtime node|deno]
 *   npx deno run -A bench/soak.ts
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { run } from "../src/load/runner.ts";
import { currentRuntime } from "../src/common/runtime.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(name);
  return index >= 0 && args[index + 1] ? args[index + 1]! : fallback;
};
const minutes = Number(option("--minutes", "10"));
const concurrency = Number(option("--concurrency", "100"));
const serverRuntime = option("--server-runtime", "node");
const root = fileURLToPath(new URL("../", import.meta.url));
const MB = 1048576;

function health(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    request(`http://127.0.0.1:${port}/health`, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve(JSON.parse(body) as Record<string, number>));
    })
      .on("error", reject)
      .end();
  });
}

const cli = join(root, "src/cli.ts");
const [command, ...prefix] = serverRuntime === "deno" ? [join(root, "node_modules/deno/deno"), "run", "-A", cli] : [process.execPath, "--import", "tsx", cli];
const server = spawn(command!, [...prefix, "serve", "--port", "0", "--done-event"], { cwd: root, stdio: ["ignore", "pipe", "ignore"] });
const port = await new Promise<number>((resolve) => {
  let out = "";
  server.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    const match = /Server ready on port (\d+)/.exec(out);
    if (match) resolve(Number(match[1]));
  });
});

const runtime = currentRuntime();
console.log(`soak: ${concurrency} callers for ${minutes} min; generator on ${runtime.name} ${runtime.version}, server on ${serverRuntime}`);
console.log(" t (s) | turns | gen heap MiB | gen RSS MiB | srv heap MiB | srv RSS MiB");
const samples: { t: number; turns: number; heap: number; rss: number; serverHeap: number; serverRss: number }[] = [];
let turns = 0;
const startMs = performance.now();
const sample = async (): Promise<void> => {
  const memory = process.memoryUsage();
  const serverHealth = await health(port);
  const row = { t: (performance.now() - startMs) / 1000, turns, heap: memory.heapUsed / MB, rss: memory.rss / MB, serverHeap: serverHealth.heap_used_bytes! / MB, serverRss: serverHealth.memory_rss_bytes! / MB };
  samples.push(row);
  console.log(`${row.t.toFixed(0).padStart(6)} | ${String(row.turns).padStart(5)} | ${row.heap.toFixed(1).padStart(12)} | ${row.rss.toFixed(1).padStart(11)} | ${row.serverHeap.toFixed(1).padStart(12)} | ${row.serverRss.toFixed(1).padStart(11)}`);
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
server.kill("SIGTERM");

// Growth after warm-up: a least-squares slope over the samples after the first third.
const slope = (key: "heap" | "rss" | "serverHeap" | "serverRss"): number => {
  const points = samples.filter((point) => point.t >= (minutes * 60) / 3);
  const meanT = points.reduce((sum, point) => sum + point.t, 0) / points.length;
  const meanV = points.reduce((sum, point) => sum + point[key], 0) / points.length;
  const numerator = points.reduce((sum, point) => sum + (point.t - meanT) * (point[key] - meanV), 0);
  const denominator = points.reduce((sum, point) => sum + (point.t - meanT) ** 2, 0);
  return (numerator / denominator) * 60;
};
console.log(`turns ${result.summary.turns} (${result.summary.ok} ok, ${result.summary.outcomes.cancelled ?? 0} cancelled at the stop), valid ${result.health.valid}`);
console.log(
  `growth after warm-up (MiB per minute, least squares over the last two thirds): generator heap ${slope("heap").toFixed(2)}, RSS ${slope("rss").toFixed(2)}; server heap ${slope("serverHeap").toFixed(2)}, RSS ${slope("serverRss").toFixed(2)}`,
);
console.log(`turn records kept for turns.csv: ${result.summary.turns} (the generator's only intended growth)`);
process.exit(0);
