import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type BotFixture, runCli, startBotProcess } from "../helpers/cli.ts";
import { parseCsv } from "../helpers/csv.ts";
import { median } from "../helpers/bot-client.ts";

let bot: BotFixture;
let dir: string;
let url: string;
before(async () => {
  // The reference bot as its own process, as a user would run it: the seed protocol, no extensions.
  bot = await startBotProcess("run-cli", ["--reply-delay-ms", "200", "--pace", "4"]);
  ({ dir, url } = bot);
});
after(() => bot.close());

describe("voxbench run", () => {
  test("runs the old guide's quick sanity check with real speech, prints the report and writes the exports", async () => {
    const result = await runCli([
      "--server",
      url,
      "--concurrency",
      "2",
      "--requests",
      "2",
      "--simple",
      "1",
      "--tools",
      "0",
      "--interruptions",
      "0",
      "--false-alarms",
      "0",
      "--think-time",
      "0",
      "--seed",
      "3",
      "--export-dir",
      dir,
      "--run-id",
      "cli-run",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /LOAD TEST PERFORMANCE REPORT/);
    assert.match(result.stdout, /Total Requests: {6}4\n {2}✅ Successful: {7}4 \(100\.0%\)/);
    assert.match(result.stdout, /query_0\d_\w+\.wav: \d/);
    const rows = parseCsv(await readFile(join(dir, "cli-run", "turns.csv"), "utf8"));
    assert.equal(rows.length, 5);
    const ttft = rows.slice(1).map((row) => Number(row[rows[0]!.indexOf("ttft_ms")]));
    // Never faster than the bot's 200 ms; three processes share two cores here, so one turn may be
    // delivered late (seen: 217 ms on Deno): the median is held to 15 ms, each turn to 60 ms.
    assert.ok(ttft.every((ms) => ms >= 200 && ms < 260), ttft.join(", "));
    assert.ok(median(ttft) < 215, ttft.join(", "));
    const summary = JSON.parse(await readFile(join(dir, "cli-run", "summary.json"), "utf8")) as {
      summary: { turns: number };
    };
    assert.equal(summary.summary.turns, 4);
  });

  test("the old guide's pure interruption test works as written (with voxbench for python3 load_test.py)", async () => {
    const result = await runCli([
      "run",
      "--server",
      url,
      "--simple",
      "0.0",
      "--tools",
      "0.0",
      "--interruptions",
      "1.0",
      "--false-alarms",
      "0.0",
      "--concurrency",
      "2",
      "--requests",
      "1",
      "--no-export",
      "--quiet",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /interruption: 2/);
    assert.match(result.stdout, /🚨 INTERRUPTIONS/);
    assert.equal(result.stderr, "");
  });

  test("--no-export writes nothing; a generator that falls behind makes the run invalid (exit 3)", async () => {
    const before = await readdir(dir);
    const result = await runCli([
      "--server",
      url,
      "--concurrency",
      "1",
      "--requests",
      "1",
      "--simple",
      "1",
      "--tools",
      "0",
      "--interruptions",
      "0",
      "--false-alarms",
      "0",
      "--no-export",
      "--quiet",
      "--max-lag-ms",
      "0.0001",
    ]);
    assert.equal(result.code, 3);
    assert.match(result.stdout, /NOT VALID/);
    assert.deepEqual(await readdir(dir), before);
  });

  test("bad flags: one line, exit 2", async () => {
    for (
      const args of [
        ["--server", "http://localhost:8000/ws"],
        ["--concurrency", "0"],
        ["--requests", "-1"],
        ["--simple", "0", "--tools", "0", "--interruptions", "0", "--false-alarms", "0"],
        ["--simple", "lots"],
        ["--think-time", "2-1"],
        ["--audio-dir", "/nonexistent"],
        ["--silence", "--audio-dir", "fixtures"],
        ["--encoding", "mulaw", "--sample-rate", "16000"],
        ["--frame-ms", "0"],
        ["--encoding", "mulaw", "--frame-ms", "0.1"],
        ["--frame-ms", "often"],
        ["--header", "no colon here"],
        ["--colour"],
        ["run", "extra"],
      ]
    ) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, /^voxbench: /);
    }
  });

  test("an unreachable server: every turn is a connect_error, the report comes, and the success-rate alarm exits 1", async () => {
    const result = await runCli([
      "--server",
      "ws://127.0.0.1:9/ws",
      "--concurrency",
      "2",
      "--requests",
      "2",
      "--no-export",
      "--quiet",
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /Success rate \(alarm: < 90%\) +0\.0% +>= 90\.0% +❌ fail/);
    assert.match(result.stdout, /🔌 Connection Errors: 4/);
    assert.match(result.stdout, /connect_error: 4/);
  });
});

describe("voxbench demo", () => {
  test("starts the reference bot in-process, runs against it, reports", async () => {
    const result = await runCli([
      "demo",
      "--concurrency",
      "2",
      "--requests",
      "1",
      "--think-time",
      "0",
      "--no-export",
      "--seed",
      "8",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /reference bot is listening on ws:\/\/127\.0\.0\.1:\d+\/ws/);
    assert.match(result.stdout, /Total Requests: {6}2/);
    assert.match(result.stdout, /✅ valid/);
  });
});
