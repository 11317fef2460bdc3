/**
 * Timing fidelity at scale: voxbench's per-turn ttft_ms and total_ms against the reference
 * server's own clock (its --log-turns), at 10, 100 and 500 concurrent callers, plus the load
 * generator's CPU-seconds and peak memory per 1,000 turns.
 *
 * The server runs in its own process (`voxbench serve --reply-delay-ms 300`, real-time replies);
 * the callers run in this process with the bundled speech fixtures (simple queries and tool calls).
 *
 *   node --import tsx bench/fidelity.ts [--server-runtime node|deno] [--counts 10,100,500]
 *                                       [--encoding pcm16|mulaw] [--sample-rate 16000]
 *                                       [--requests N]  (turns per caller; default 10/5/2)
 *                                       [--server-flags "<runtime flags for the bot's process>"]
 *   DENO_V8_FLAGS=--max-semi-space-size=1 npx deno run -A bench/fidelity.ts --server-runtime deno
 *     (Deno ignores keepYoungGenerationSmall(); the environment variable reaches both processes)
 *
 * On Node both processes do as the CLI does: with VOXBENCH_SINGLE_THREADED_GC=1 each re-starts
 * itself under V8's --single-threaded-gc (src/process/relaunch.ts); by default neither does.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { run } from "../src/load/runner.ts";
import { currentRuntime } from "../src/common/runtime.ts";
import { summarize } from "../src/metrics/percentiles.ts";
import type { WireEncoding } from "../src/audio/wire-format.ts";
import type { TurnLogRecord } from "../src/server/turn-log.ts";
import { option, startServerProcess } from "./support.ts";
import { keepYoungGenerationSmall } from "../src/common/young-generation.ts";
import { relaunchWithSingleThreadedGc } from "../src/process/relaunch.ts";
import { attachToLauncher } from "../src/process/stop-requests.ts";

const relaunched = await relaunchWithSingleThreadedGc();
if (relaunched !== undefined) process.exit(relaunched);
attachToLauncher();

const serverRuntime = option("--server-runtime", "node");
// Flags for the bot's runtime, e.g. "--max-semi-space-size=2" (space-separated).
const serverFlags = option("--server-flags", "").split(" ").filter(Boolean);
const counts = option("--counts", "10,100,500").split(",").map(Number);
const REQUESTS: Record<number, number> = { 10: 10, 100: 5, 500: 2 };
// Turns per caller; more turns make the p99 steadier (at 100 callers the default 5 gives 500 turns).
const requestsOverride = Number(option("--requests", "0"));
// The speech_end payload's size is part of the error (it must cross to the server before the
// server's clock starts): mu-law at 8 kHz sends a quarter of PCM16 at 16 kHz.
const encoding = option("--encoding", "pcm16") as WireEncoding;
const sampleRateHz = Number(option("--sample-rate", encoding === "mulaw" ? "8000" : "16000"));

// As the CLI does (after tsx's loader thread exists: starting it re-applies the command line's V8 flags).
keepYoungGenerationSmall();
const runtime = currentRuntime();
const gc = runtime.singleThreadedGc ? "single-threaded GC" : "V8's threaded GC";
console.log(
  `timing fidelity: callers on ${runtime.name} ${runtime.version} (${gc}), reference server on ${serverRuntime} (separate process)`,
);
console.log(
  `|measured - server truth| in ms; truth = first/last chunk sent - speech_end received, on the server's clock; speech_end in ${encoding} at ${sampleRateHz} Hz`,
);
for (const concurrency of counts) {
  const dir = await mkdtemp(join(tmpdir(), "voxbench-fidelity-"));
  const logPath = join(dir, "turns.jsonl");
  const server = await startServerProcess(serverRuntime, [
    "--reply-delay-ms",
    "300",
    "--done-event",
    "--log-turns",
    logPath,
  ], serverFlags);
  const requests = requestsOverride || (REQUESTS[concurrency] ?? 2);
  const result = await run({
    server: server.url,
    concurrency,
    requests,
    seed: 1,
    weights: { simple: 0.7, tools: 0.3, interruptions: 0, falseAlarms: 0 },
    thinkTimeS: { min: 0.5, max: 2 },
    wireFormat: { encoding, sampleRateHz },
    // Callers start spread over 2 s (about one utterance), as real callers arrive: without it the
    // first turns all end their speech in the same few ms and queue in the server's socket buffers.
    rampUpS: 2,
  });
  await server.stop();
  const log = (await readFile(logPath, "utf8")).trim().split("\n").map((line) =>
    JSON.parse(line) as TurnLogRecord
  );
  const bySession = new Map<string, TurnLogRecord[]>();
  for (const record of log) {
    bySession.set(record.session_id, [...(bySession.get(record.session_id) ?? []), record]);
  }
  const seen = new Map<string, number>();
  const ttftErrors: number[] = [];
  const totalErrors: number[] = [];
  for (const turn of result.turns) {
    if (turn.outcome !== "ok" || !turn.session_id) continue;
    const index = seen.get(turn.session_id) ?? 0;
    seen.set(turn.session_id, index + 1);
    const truth = bySession.get(turn.session_id)?.[index];
    if (!truth || truth.first_chunk_sent_ms === null || truth.last_chunk_sent_ms === null) continue;
    ttftErrors.push(Math.abs(turn.ttft_ms! - (truth.first_chunk_sent_ms - truth.speech_end_received_ms)));
    totalErrors.push(Math.abs(turn.total_ms! - (truth.last_chunk_sent_ms - truth.speech_end_received_ms)));
  }
  const ttft = summarize(ttftErrors);
  const total = summarize(totalErrors);
  const turns = result.summary.turns;
  console.log(
    [
      `c=${String(concurrency).padStart(3)} ${String(turns).padStart(4)} turns (${
        outcomeCounts(result.summary.outcomes)
      })`,
      `ttft p50 ${ttft?.median.toFixed(2)} p95 ${ttft?.p95.toFixed(2)} p99 ${ttft?.p99.toFixed(2)} max ${
        ttft?.max.toFixed(2)
      }`,
      `total p50 ${total?.median.toFixed(2)} p99 ${total?.p99.toFixed(2)} max ${total?.max.toFixed(2)}`,
      `CPU ${((result.health.cpuSeconds / turns) * 1000).toFixed(1)} s/1000 turns`,
      `peak RSS ${(result.health.peakRssBytes / 1048576).toFixed(0)} MiB`,
      `loop lag p99 ${result.health.eventLoopLagMs?.p99.toFixed(1)} ms`,
      result.health.valid ? "valid" : `INVALID (${result.health.reasons.join("; ")})`,
    ].join(" | "),
  );
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);

/** "500 ok" or "787 ok, 213 audio_gap": turns that are not ok are left out of the error figures. */
function outcomeCounts(outcomes: Readonly<Record<string, number>>): string {
  const entries = Object.entries(outcomes).filter(([, count]) => count > 0).sort((
    [a],
    [b],
  ) => (a === "ok" ? -1 : b === "ok" ? 1 : a.localeCompare(b)));
  return entries.map(([name, count]) => `${count} ${name}`).join(", ");
}
