import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCli, type CliRun } from "../helpers/cli.ts";
import { sleep } from "../helpers/bot-client.ts";

let dir: string;
let server: CliRun;
let url: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "voxbench-interrupt-"));
  server = startCli(["serve", "--port", "0", "--reply-delay-ms", "100", "--pace", "4", "--done-event"]);
  url = `ws://127.0.0.1:${/(\d+)/.exec(await server.waitFor(/Server ready on port (\d+)/))![1]}/ws`;
});
after(async () => {
  server.signal("SIGTERM");
  await server.done;
  await rm(dir, { recursive: true, force: true });
});

const LONG_RUN = ["--concurrency", "3", "--requests", "50", "--think-time", "0", "--simple", "1", "--tools", "0", "--interruptions", "0", "--false-alarms", "0"];

describe("Ctrl-C and SIGTERM mid-run", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal}: stops, reports and exports what finished (marked partial), exits 130`, async () => {
      const runId = `interrupted-${signal}`;
      const cli = startCli(["--server", url, ...LONG_RUN, "--export-dir", dir, "--run-id", runId]);
      await sleep(6000); // a couple of turns per caller (2 s of speech, 100 ms delay, about 750 ms of reply)
      const signalledAt = performance.now();
      cli.signal(signal);
      const result = await cli.done;
      assert.equal(result.code, 130, result.stderr);
      assert.ok(performance.now() - signalledAt < 3000, "stopping took too long");
      assert.match(result.stderr, /stopping \(finishing the report; press Ctrl-C again to quit at once\)/);
      assert.match(result.stdout, /PARTIAL RESULTS/);
      assert.match(result.stdout, /LOAD TEST PERFORMANCE REPORT/);
      const summary = JSON.parse(await readFile(join(dir, runId, "summary.json"), "utf8")) as { interrupted: boolean; summary: { turns: number; ok: number } };
      assert.equal(summary.interrupted, true);
      assert.ok(summary.summary.ok >= 3, `${summary.summary.ok} turns finished`);
      assert.ok(summary.summary.turns < 150);
      const rows = (await readFile(join(dir, runId, "turns.csv"), "utf8")).trim().split("\n");
      assert.equal(rows.length - 1, summary.summary.turns);
      assert.ok(rows.slice(1).every((row) => /,(ok|cancelled),/.test(row)), "turns are ok or cancelled");
    });
  }

  test("a second Ctrl-C exits at once", async () => {
    const cli = startCli(["--server", url, ...LONG_RUN, "--no-export"]);
    await sleep(3000);
    cli.signal("SIGINT");
    cli.signal("SIGINT");
    const result = await cli.done;
    assert.equal(result.code, 130);
  });

  test("no half-written export folder is left behind", async () => {
    const entries = await readdir(dir);
    assert.ok(entries.every((entry) => !entry.includes(".partial")), entries.join(", "));
  });
});
