/**
 * A test bigger than one machine: shards run as separate processes (--shard i/n), then
 * `voxbench merge` puts their folders back together exactly.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { summarizeRun } from "../../src/metrics/summary.ts";
import { turnsFromCsv } from "../../src/report/merge.ts";
import { type BotFixture, runCli, startBotProcess } from "../helpers/cli.ts";

let bot: BotFixture;
before(async () => {
  bot = await startBotProcess("shards", ["--reply-delay-ms", "100", "--pace", "4", "--done-event"]);
});
after(() => bot.close());

const TEST = [
  "--concurrency",
  "6",
  "--requests",
  "2",
  "--think-time",
  "0",
  "--simple",
  "1",
  "--tools",
  "1",
  "--interruptions",
  "0",
  "--false-alarms",
  "0",
  "--quiet",
];

describe("shards and merge", () => {
  test("three shard processes, merged: every row of every shard, and the statistics of their union", async () => {
    const dir = join(bot.dir, "three");
    const shards = await Promise.all(
      [0, 1, 2].map((index) =>
        runCli([
          "--server",
          bot.url,
          ...TEST,
          "--shard",
          `${index}/3`,
          "--run-id",
          "load-42",
          "--export-dir",
          dir,
        ])
      ),
    );
    for (const shard of shards) assert.equal(shard.code, 0, shard.stderr);
    const folders = (await readdir(dir)).sort();
    assert.deepEqual(folders, ["load-42-shard-0-of-3", "load-42-shard-1-of-3", "load-42-shard-2-of-3"]);
    const shardRows: string[] = [];
    for (const [index, folder] of folders.entries()) {
      const text = await readFile(join(dir, folder, "turns.csv"), "utf8");
      const { turns } = turnsFromCsv(text, folder);
      assert.deepEqual(
        [...new Set(turns.map((turn) => turn.client_id))].sort(),
        [0, 1, 2, 3, 4, 5].filter((client) => client % 3 === index),
        "a shard drives callers k with k mod 3 = its index",
      );
      shardRows.push(...text.trim().split("\n").slice(1));
    }
    const merged = await runCli([
      "merge",
      ...folders.map((folder) => join(dir, folder)),
      "--export-dir",
      join(bot.dir, "merged"),
    ]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.match(merged.stdout, /Planned \/ Started \/ Completed: 12 \/ 12 \/ 12/);
    const mergedText = await readFile(join(bot.dir, "merged", "load-42", "turns.csv"), "utf8");
    const mergedRows = mergedText.trim().split("\n").slice(1);
    // Row for row: the merge's rows are the shards' rows, in (caller, turn) order.
    const order = (row: string): number => {
      const [, client, turn] = row.split(",");
      return Number(client) * 100 + Number(turn);
    };
    assert.deepEqual(mergedRows, [...shardRows].sort((a, b) => order(a) - order(b)));
    const summary = JSON.parse(
      await readFile(join(bot.dir, "merged", "load-42", "summary.json"), "utf8"),
    ) as {
      summary: unknown;
      config: { shard: unknown };
      health: { shards: unknown[]; eventLoopLagMs: { count: number } };
      turnCounts: unknown;
    };
    assert.deepEqual(
      summary.summary,
      JSON.parse(JSON.stringify(summarizeRun(turnsFromCsv(mergedText, "merged").turns))),
    );
    assert.equal(summary.config.shard, null);
    assert.equal(summary.health.shards.length, 3);
    assert.ok(summary.health.eventLoopLagMs.count > 0, "health merged from every shard's raw samples");
    assert.deepEqual(summary.turnCounts, { planned: 12, started: 12, completed: 12 });
  });

  test("bad shards and merges are one line each, exit 2", async () => {
    for (
      const [args, pattern] of [
        [["--shard", "3/2", "--run-id", "x"], /--shard 3\/2: the index counts from 0, so it must be below 2/],
        [["--shard", "x", "--run-id", "x"], /--shard must look like INDEX\/COUNT/],
        [["--shard", "0/2"], /--shard needs --run-id/],
      ] as const
    ) {
      const result = await runCli(["--server", bot.url, ...TEST, ...args, "--no-export"]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split("\n").length, 1);
    }
    const dir = join(bot.dir, "mixed");
    const a = await runCli([
      "--server",
      bot.url,
      ...TEST,
      "--shard",
      "0/2",
      "--run-id",
      "test-a",
      "--export-dir",
      dir,
    ]);
    const b = await runCli([
      "--server",
      bot.url,
      ...TEST,
      "--concurrency",
      "4",
      "--shard",
      "1/2",
      "--run-id",
      "test-a",
      "--export-dir",
      dir,
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 2, b.stderr); // --concurrency given twice
    const c = await runCli([
      "--server",
      bot.url,
      "--concurrency",
      "4",
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
      "--shard",
      "1/2",
      "--run-id",
      "test-a",
      "--export-dir",
      dir,
    ]);
    assert.equal(c.code, 0, c.stderr);
    const merge = await runCli([
      "merge",
      join(dir, "test-a-shard-0-of-2"),
      join(dir, "test-a-shard-1-of-2"),
      "--export-dir",
      join(dir, "out"),
    ]);
    assert.equal(merge.code, 2, merge.stderr);
    assert.match(
      merge.stderr,
      /^voxbench: test-a-shard-1-of-2 is a shard of another test than test-a-shard-0-of-2 \(different: .*concurrency.*\)\n$/,
    );
    const twice = await runCli(["merge", join(dir, "test-a-shard-0-of-2"), join(dir, "test-a-shard-0-of-2")]);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /shard 0 of 2 is given twice/);
  });
});
