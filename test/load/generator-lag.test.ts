/**
 * voxbench never blames the bot for its own lateness: a reply gap that the generator's own stall
 * explains is generator_lag (voxbench's failure, and the run NOT VALID), not audio_gap.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { run } from "../../src/load/runner.ts";
import { formatConsoleReport } from "../../src/report/console-report.ts";
import { StallLog } from "../../src/load/stall-log.ts";
import { type BotFixture, startBotProcess } from "../helpers/cli.ts";

let bot: BotFixture;
before(async () => {
  // Real-time replies in 100 ms chunks, from its own process: its sends do not stall with ours.
  bot = await startBotProcess("generator-lag", ["--reply-delay-ms", "100", "--pace", "1", "--done-event"]);
});
after(() => bot.close());

/** Keeps this process's event loop busy for `durationMs`. */
function stall(durationMs: number): void {
  const untilMs = performance.now() + durationMs;
  while (performance.now() < untilMs) {
    // busy: nothing else in this process runs
  }
}

describe("the generator's own lateness", () => {
  test("a mid-reply gap made by voxbench's own stall is generator_lag, the run NOT VALID, the report says whose", async () => {
    // The 2 s question ends at about 2 s; the 3 s reply streams from about 2.1 s to 5.1 s.
    const timer = setTimeout(() => stall(300), 3300);
    try {
      const result = await run({
        server: bot.url,
        concurrency: 1,
        requests: 1,
        seed: 2,
        mix: { simple_query: 1, tool_call: 0, interruption: 0, false_alarm: 0 },
      });
      const turn = result.turns[0]!;
      assert.equal(turn.outcome, "generator_lag", turn.error ?? "");
      assert.match(turn.error!, /voxbench itself was stalled for \d+ ms of it: not the bot's gap/);
      assert.ok(turn.longest_gap_ms! >= 80, `the raw gap is still reported: ${turn.longest_gap_ms}`);
      assert.equal(result.health.valid, false);
      assert.match(
        result.health.reasons.join("; "),
        /1 turn\(s\) failed for voxbench's own lateness \(generator_lag\)/,
      );
      assert.match(formatConsoleReport(result), /generator_lag: 1 {2}\[voxbench's own, not the bot's\]/);
    } finally {
      clearTimeout(timer);
    }
  });

  test("without the stall, the same turn is ok", async () => {
    const result = await run({
      server: bot.url,
      concurrency: 1,
      requests: 1,
      seed: 2,
      mix: { simple_query: 1, tool_call: 0, interruption: 0, false_alarm: 0 },
    });
    assert.equal(result.turns[0]!.outcome, "ok", result.turns[0]!.error ?? "");
    assert.equal(result.health.valid, true);
  });

  test("StallLog merges overlapping intervals and measures overlap", () => {
    const stalls = new StallLog();
    stalls.record(10, 20);
    stalls.record(50, 60);
    stalls.record(15, 30);
    stalls.record(40, 52);
    stalls.record(5, 8);
    assert.equal(stalls.overlapMs(0, 100), 3 + 20 + 20);
    assert.equal(stalls.overlapMs(25, 45), 5 + 5);
    assert.equal(stalls.overlapMs(60, 100), 0);
  });
});
