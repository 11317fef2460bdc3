import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type BotFixture, startBotProcess, startCli } from "../helpers/cli.ts";

let bot: BotFixture;
let dir: string;
let url: string;
before(async () => {
  bot = await startBotProcess("interrupt", ["--reply-delay-ms", "100", "--pace", "4", "--done-event"]);
  ({ dir, url } = bot);
});
after(() => bot.close());

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

/**
 * Each case runs twice: in one process ("0"), and through the launcher that re-starts Node with
 * --single-threaded-gc ("1"; on Deno there is no launcher and the setting changes nothing), where
 * the signal reaches the launcher and must be forwarded.
 */
const LAUNCH_MODES = [
  { name: "in one process", env: { VOXBENCH_SINGLE_THREADED_GC: "0" } },
  { name: "re-started with --single-threaded-gc", env: { VOXBENCH_SINGLE_THREADED_GC: "1" } },
] as const;

describe("Ctrl-C and SIGTERM mid-run", () => {
  for (const mode of LAUNCH_MODES) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      test(`${signal} (${mode.name}): stops, reports and exports what finished (marked partial), exits 130`, async () => {
        const runId = `interrupted-${signal}-${mode.env.VOXBENCH_SINGLE_THREADED_GC}`;
        const cli = startCli(["--server", url, ...LONG_RUN, "--export-dir", dir, "--run-id", runId], {
          env: mode.env,
        });
        // Mid-run, with a few turns done (2 s of speech, 100 ms delay, about 750 ms of reply each):
        // the first progress line comes with the first turn that ends 5 s after the start.
        await cli.waitFor(/\[voxbench\] ([3-9]|[1-9]\d+)\/150 turns/);
        const signalledAt = performance.now();
        cli.signal(signal);
        const result = await cli.done;
        assert.equal(result.code, 130, result.stderr);
        assert.ok(performance.now() - signalledAt < 3000, "stopping took too long");
        assert.equal(
          result.stderr.match(/stopping \(finishing the report; press Ctrl-C again to quit at once\)/g)
            ?.length,
          1,
          result.stderr,
        );
        assert.match(result.stdout, /PARTIAL RESULTS/);
        assert.match(result.stdout, /LOAD TEST PERFORMANCE REPORT/);
        const summary = JSON.parse(await readFile(join(dir, runId, "summary.json"), "utf8")) as {
          interrupted: boolean;
          summary: { turns: number; ok: number };
        };
        assert.equal(summary.interrupted, true);
        assert.ok(summary.summary.ok >= 3, `${summary.summary.ok} turns finished`);
        assert.ok(summary.summary.turns < 150);
        const rows = (await readFile(join(dir, runId, "turns.csv"), "utf8")).trim().split("\n");
        assert.equal(rows.length - 1, summary.summary.turns);
        assert.ok(rows.slice(1).every((row) => /,(ok|cancelled),/.test(row)), "turns are ok or cancelled");
      });
    }

    test(`two copies of one Ctrl-C at the same moment are one stop (${mode.name})`, async () => {
      const cli = startCli(["--server", url, ...LONG_RUN, "--no-export"], { env: mode.env });
      await cli.waitFor(/voxbench: starting callers/);
      cli.signal("SIGINT");
      cli.signal("SIGINT");
      const result = await cli.done;
      assert.equal(result.code, 130);
      assert.equal(result.stderr.match(/voxbench: stopping/g)?.length, 1, result.stderr);
      assert.match(result.stdout, /PARTIAL RESULTS/);
    });
  }

  test("no half-written export folder is left behind", async () => {
    const entries = await readdir(dir);
    assert.ok(entries.every((entry) => !entry.includes(".partial")), entries.join(", "));
  });
});
