/**
 * CPU and memory per speech-events turn: voxbench (the built CLI, as `npx voxbench` runs) against
 * the floor, bench/bare-client.ts, in the same session and against the same reference bot in its
 * own process, runs alternated so that the machine's drift hits all of them alike. The floor runs
 * twice: plain (`ws` and nothing else), and with `--decode` (it also parses each reply chunk,
 * decodes its PCM16 and takes a level per 10 ms: what any client that measures the audio must do).
 * Prints each run's CPU seconds and peak RSS, the medians per turn and per caller (RSS above each
 * client's own with one caller), and the CPU ratios voxbench / floor.
 *
 *   node --import tsx bench/turn-cost.ts [--counts 100,500] [--requests 5,2] [--rounds 2]
 *
 * `--requests` gives the turns per caller for each count in order (the last one for the rest).
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { option, ROOT, startServerProcess } from "./support.ts";

const counts = option("--counts", "100,500").split(",").map(Number);
const requestsPerCount = option("--requests", "5,2").split(",").map(Number);
const rounds = Number(option("--rounds", "2"));

interface Measured {
  readonly cpuSeconds: number;
  readonly peakRssMiB: number;
}

/** Runs `command args` to the end; resolves with what it wrote to stderr, rejects on an exit code not in `okCodes`. */
function run(command: string, args: readonly string[], okCodes: readonly number[] = [0]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (!okCodes.includes(code ?? -1)) {
        reject(new Error(`${args.slice(0, 3).join(" ")} exited ${code}: ${stderr.trim()}`));
      } else resolve(stderr);
    });
  });
}

async function voxbench(url: string, concurrency: number, requests: number): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), "voxbench-turn-cost-"));
  try {
    // deno-fmt-ignore
    await run(process.execPath, [
      join(ROOT, "dist/cli.js"), "run", "--protocol", "speech-events", "--server", url,
      "--concurrency", String(concurrency), "--requests", String(requests),
      "--simple", "1", "--tools", "0", "--interruptions", "0", "--false-alarms", "0",
      "--think-time", "0.5-2", "--ramp-up", "2", "--seed", "1",
      "--export-dir", dir, "--run-id", "cost", "--quiet",
    ], [0, 3]); // 3: NOT VALID (voxbench fell behind), reported below; its figures are still written
    const summary = JSON.parse(await readFile(join(dir, "cost", "summary.json"), "utf8")) as {
      health: { cpuSeconds: number; peakRssBytes: number; valid: boolean; reasons: readonly string[] };
    };
    if (!summary.health.valid) {
      console.log(`  (voxbench at ${concurrency}: NOT VALID: ${summary.health.reasons.join("; ")})`);
    }
    return { cpuSeconds: summary.health.cpuSeconds, peakRssMiB: summary.health.peakRssBytes / 2 ** 20 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function floor(url: string, concurrency: number, requests: number, decode: boolean): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), "voxbench-turn-cost-"));
  try {
    // deno-fmt-ignore
    const stderr = await run(process.execPath, [
      "--import", "tsx", join(ROOT, "bench/bare-client.ts"), "--server", url,
      "--concurrency", String(concurrency), "--requests", String(requests), "--think-time", "0.5-2",
      "--out", join(dir, "bare.csv"), ...(decode ? ["--decode"] : []),
    ]);
    const cpu = /CPU ([\d.]+) s/.exec(stderr);
    const rss = /peak RSS ([\d.]+) MiB/.exec(stderr);
    if (!cpu || !rss) throw new Error(`bare client printed no figures: ${stderr.trim()}`);
    return { cpuSeconds: Number(cpu[1]), peakRssMiB: Number(rss[1]) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "ignore" });
console.log("CPU and peak RSS per speech-events turn, on node; the reference bot on node in its own process");
const bot = await startServerProcess("node", ["--reply-delay-ms", "300", "--done-event"]);
try {
  // Each client's own base: its peak RSS with one caller, so that memory per caller excludes what
  // the process holds anyway (the floor runs through tsx, whose loader makes its base larger).
  const base = {
    voxbench: (await voxbench(bot.url, 1, 2)).peakRssMiB,
    floor: (await floor(bot.url, 1, 2, false)).peakRssMiB,
    "floor --decode": (await floor(bot.url, 1, 2, true)).peakRssMiB,
  };
  for (const [index, concurrency] of counts.entries()) {
    const requests = requestsPerCount[Math.min(index, requestsPerCount.length - 1)]!;
    const turns = concurrency * requests;
    const results: Record<"voxbench" | "floor" | "floor --decode", Measured[]> = {
      voxbench: [],
      floor: [],
      "floor --decode": [],
    };
    for (let round = 0; round < rounds; round++) {
      results.voxbench.push(await voxbench(bot.url, concurrency, requests));
      results.floor.push(await floor(bot.url, concurrency, requests, false));
      results["floor --decode"].push(await floor(bot.url, concurrency, requests, true));
    }
    const cpuMsPerTurn = (name: keyof typeof results): number =>
      (median(results[name].map((result) => result.cpuSeconds)) * 1000) / turns;
    for (const name of Object.keys(results) as (keyof typeof results)[]) {
      console.log(
        `c=${concurrency} x ${requests} ${name.padEnd(15)} CPU ${
          results[name].map((result) => result.cpuSeconds.toFixed(2)).join(", ")
        } s (median ${cpuMsPerTurn(name).toFixed(2)} ms per turn), peak RSS ${
          results[name].map((result) => result.peakRssMiB.toFixed(0)).join(", ")
        } MiB (median ${
          ((median(results[name].map((result) => result.peakRssMiB)) - base[name]) * 1024 / concurrency)
            .toFixed(0)
        } KiB per caller above ${base[name].toFixed(0)} MiB with one)`,
      );
    }
    console.log(
      `c=${concurrency} voxbench / floor ${
        (cpuMsPerTurn("voxbench") / cpuMsPerTurn("floor")).toFixed(2)
      }x, / floor --decode ${(cpuMsPerTurn("voxbench") / cpuMsPerTurn("floor --decode")).toFixed(2)}x`,
    );
  }
} finally {
  await bot.stop();
}
