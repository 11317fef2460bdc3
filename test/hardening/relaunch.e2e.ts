/**
 * The CLI's re-start under --single-threaded-gc (src/commands/relaunch.ts), end to end: which
 * process does the work, and that a terminal's Ctrl-C, which reaches both processes, is one stop
 * request, not the "second Ctrl-C" that quits at once.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type BotFixture, isDeno, runCli, startBotProcess, startCli } from "../helpers/cli.ts";

let bot: BotFixture;
let dir: string;
let url: string;
before(async () => {
  bot = await startBotProcess("relaunch", ["--reply-delay-ms", "100", "--pace", "4", "--done-event"]);
  ({ dir, url } = bot);
});
after(() => bot.close());

const SHORT_RUN = [
  "--concurrency",
  "1",
  "--requests",
  "1",
  "--think-time",
  "0",
  "--simple",
  "1",
  "--tools",
  "0",
  "--interruptions",
  "0",
  "--false-alarms",
  "0",
  "--quiet",
];
const LONG_RUN = [
  "--concurrency",
  "3",
  "--requests",
  "50",
  "--think-time",
  "0",
  "--simple",
  "1",
  "--tools",
  "0",
  "--interruptions",
  "0",
  "--false-alarms",
  "0",
];
const FORCED = { VOXBENCH_SINGLE_THREADED_GC: "1" };

interface Summary {
  interrupted: boolean;
  runtime: { name: string; singleThreadedGc: boolean };
  summary: { turns: number; ok: number };
}

async function readSummary(runId: string): Promise<Summary> {
  return JSON.parse(await readFile(join(dir, runId, "summary.json"), "utf8")) as Summary;
}

describe("re-starting under --single-threaded-gc", () => {
  test("VOXBENCH_SINGLE_THREADED_GC=1 runs the work in Node under the flag (Deno: ignored), =0 does not, and summary.json says which", async () => {
    for (const [setting, expected] of [["1", !isDeno], ["0", false]] as const) {
      const runId = `setting-${setting}`;
      const result = await runCli(["--server", url, ...SHORT_RUN, "--export-dir", dir, "--run-id", runId], {
        env: { VOXBENCH_SINGLE_THREADED_GC: setting },
      });
      assert.equal(result.code, 0, result.stderr);
      const summary = await readSummary(runId);
      assert.equal(summary.summary.ok, 1);
      assert.equal(summary.runtime.singleThreadedGc, expected, `setting ${setting}`);
    }
  });

  test("a bad VOXBENCH_SINGLE_THREADED_GC is one line and exit 2", async () => {
    const result = await runCli(["--server", url, ...SHORT_RUN, "--no-export"], {
      env: { VOXBENCH_SINGLE_THREADED_GC: "yes" },
    });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'voxbench: VOXBENCH_SINGLE_THREADED_GC must be 0 or 1 (got "yes")\n');
  });

  test("a terminal's Ctrl-C (the whole process group) is one stop request: partial results, exit 130", async () => {
    const runId = "group-sigint";
    const cli = startCli(["--server", url, ...LONG_RUN, "--export-dir", dir, "--run-id", runId], {
      env: FORCED,
      detached: true,
    });
    // Mid-run: after the first progress line, which follows a finished turn.
    await cli.waitFor(/\[voxbench\] [1-9]\d*\/150 turns/);
    cli.signalGroup("SIGINT");
    const result = await cli.done;
    assert.equal(result.code, 130, result.stderr);
    assert.equal(result.stderr.match(/voxbench: stopping/g)?.length, 1, result.stderr);
    const summary = await readSummary(runId);
    assert.equal(summary.interrupted, true);
    assert.ok(summary.summary.ok >= 1, `${summary.summary.ok} turns finished`);
    assert.equal(summary.runtime.singleThreadedGc, !isDeno);
  });

  test("a terminal's Ctrl-C stops `voxbench serve` once: it shuts down cleanly, exit 0", async () => {
    const cli = startCli(["serve", "--port", "0"], { env: FORCED, detached: true });
    await cli.waitFor(/Server ready on port \d+/);
    cli.signalGroup("SIGINT");
    const result = await cli.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr.match(/shutting down the reference bot/g)?.length, 1, result.stderr);
  });

  test("if the launcher is killed outright, the run it started stops and still writes its results", {
    skip: isDeno ? "Deno is never re-started: there is no launcher" : false,
  }, async () => {
    const runId = "launcher-killed";
    const cli = startCli(["--server", url, ...LONG_RUN, "--export-dir", dir, "--run-id", runId], {
      env: FORCED,
    });
    await cli.waitFor(/\[voxbench\] [1-9]\d*\/150 turns/);
    cli.signal("SIGKILL");
    // The worker outlives its launcher and holds the pipes, so this also waits for the worker.
    await cli.done;
    const summary = await readSummary(runId);
    assert.equal(summary.interrupted, true);
    assert.equal(summary.runtime.singleThreadedGc, true);
  });
});
