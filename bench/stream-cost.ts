/**
 * The cost of streaming callers: N Twilio callers, each sending a 20 ms frame 50 times a second
 * for the whole call, against the reference bot in its own process. Prints how late frames left
 * (frame send lag p50/p99/max), the callers' CPU per 1,000 frames sent, their peak RSS, and whether
 * the run was valid.
 *
 * With --workers N the callers are spread over N worker threads (the run's --workers). On Node the
 * callers run the built CLI (dist/, built first), as `npx voxbench` does: through tsx each worker
 * would compile the TypeScript sources when it starts, inside the measured run.
 *
 *   node --import tsx bench/stream-cost.ts [--counts 100,500] [--requests 2] [--runtime node|deno] [--workers 2]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { health as botHealthOf, option, ROOT, startServerProcess } from "./support.ts";

const counts = option("--counts", "100,500").split(",").map(Number);
const requests = option("--requests", "2");
const runtime = option("--runtime", "node");
const workers = option("--workers", "1");

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("close", (code) => resolve(code)));
}

interface Summary {
  durationMs: number;
  summary: { turns: number; outcomes: Record<string, number> };
  health: {
    valid: boolean;
    reasons: string[];
    cpuSeconds: number;
    peakRssBytes: number;
    frameSendLagMs: { count: number; median: number; p99: number; max: number } | null;
    eventLoopLagMs: { p99: number } | null;
  };
}

if (runtime === "node") execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "ignore" });
console.log(
  `streaming cost: Twilio callers on ${runtime}${
    workers === "1" ? "" : ` in ${workers} workers`
  }, the reference bot on node in its own process`,
);
for (const concurrency of counts) {
  const dir = await mkdtemp(join(tmpdir(), "voxbench-stream-"));
  const bot = await startServerProcess("node", ["--protocol", "twilio", "--reply-delay-ms", "300"]);
  const cli = join(ROOT, "src/cli.ts");
  const args = [
    "run",
    "--protocol",
    "twilio",
    "--server",
    bot.url,
    "--concurrency",
    String(concurrency),
    "--requests",
    requests,
    "--simple",
    "1",
    "--tools",
    "0",
    "--interruptions",
    "0",
    "--false-alarms",
    "0",
    "--think-time",
    "0.5-2",
    "--ramp-up",
    "5",
    "--seed",
    "1",
    "--export-dir",
    dir,
    "--run-id",
    "stream",
    "--quiet",
    ...(workers === "1" ? [] : ["--workers", workers]),
  ];
  const [command, prefix] = runtime === "deno"
    ? [join(ROOT, "node_modules/deno/deno"), ["run", "-A", "--v8-flags=--max-semi-space-size=1", cli]]
    : [process.execPath, [join(ROOT, "dist/cli.js")]];
  const callers = spawn(command, [...prefix, ...args], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const code = await exited(callers);
  const botHealth = await botHealthOf(bot.port);
  await bot.stop();
  const summary = JSON.parse(await readFile(join(dir, "stream", "summary.json"), "utf8")) as Summary;
  const { health } = summary;
  const frames = health.frameSendLagMs?.count ?? 0;
  console.log(
    [
      `c=${String(concurrency).padStart(3)} exit ${code}, ${summary.summary.turns} turns (${
        Object.entries(summary.summary.outcomes).map(([name, count]) => `${count} ${name}`).join(", ")
      })`,
      `${frames} frames in ${(summary.durationMs / 1000).toFixed(1)} s`,
      `frame send lag p50 ${health.frameSendLagMs?.median.toFixed(2)} p99 ${
        health.frameSendLagMs?.p99.toFixed(2)
      } max ${health.frameSendLagMs?.max.toFixed(1)} ms`,
      `loop lag p99 ${health.eventLoopLagMs?.p99.toFixed(1)} ms`,
      `CPU ${((health.cpuSeconds / frames) * 1000 * 1000).toFixed(0)} ms per 1,000 frames (${
        health.cpuSeconds.toFixed(1)
      } s)`,
      `peak RSS ${(health.peakRssBytes / 1048576).toFixed(0)} MiB`,
      `bot CPU ${botHealth.cpu_seconds!.toFixed(1)} s`,
      health.valid ? "valid" : `INVALID (${health.reasons.join("; ")})`,
    ].join(" | "),
  );
  await rm(dir, { recursive: true, force: true });
}
