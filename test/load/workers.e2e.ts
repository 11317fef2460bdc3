/**
 * --workers: callers spread over worker threads, each with its own event loop and health, merged
 * exactly into one result (statistics from every raw sample), seeded choices the same as in one thread.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { run } from "../../src/load/runner.ts";
import { summarizeRun } from "../../src/metrics/summary.ts";
import { type RunningServer, serve } from "../../src/server/server.ts";
import { UsageError } from "../../src/common/errors.ts";
import { defineScenario } from "../../src/scenarios/define.ts";
import { simpleQuery } from "../../src/scenarios/simple-query.ts";
import { runCli } from "../helpers/cli.ts";

let bot: RunningServer;
before(async () => {
  bot = await serve({ port: 0, replyDelayMs: 100, pace: 4, doneEvent: true });
});
after(() => bot.close());

const COMMON = {
  concurrency: 5,
  requests: 2,
  seed: 11,
  thinkTimeS: { min: 0, max: 0.1 },
  mix: { simple_query: 1, tool_call: 1, interruption: 0, false_alarm: 0 },
};

describe("--workers", () => {
  test("two workers: every caller exactly once, statistics of every raw sample, per-worker health, the same seeded choices as one thread", async () => {
    const single = await run({ ...COMMON, server: bot.url });
    const split = await run({ ...COMMON, server: bot.url, workers: 2 });
    assert.equal(split.turns.length, 10);
    assert.deepEqual(
      split.turns.map((turn) => `${turn.client_id}/${turn.turn_index}`),
      single.turns.map((turn) => `${turn.client_id}/${turn.turn_index}`),
    );
    // Seeded per caller and turn, whichever thread runs it.
    assert.deepEqual(
      split.turns.map((turn) => `${turn.scenario} ${turn.audio_file}`),
      single.turns.map((turn) => `${turn.scenario} ${turn.audio_file}`),
    );
    assert.ok(
      split.turns.every((turn) => turn.outcome === "ok"),
      split.turns.map((turn) => turn.error).join("; "),
    );
    // The summary is the summary of the union of the workers' turns, sample by sample.
    assert.deepEqual(split.summary, summarizeRun(split.turns));
    const workers = split.health.workers!;
    assert.equal(workers.length, 2);
    assert.deepEqual(workers.map((worker) => worker.callers), [3, 2]);
    const loopSamples = workers.reduce((sum, worker) => sum + (worker.eventLoopLagMs?.count ?? 0), 0);
    assert.equal(
      split.health.eventLoopLagMs?.count,
      loopSamples,
      "the merged statistics hold every worker's samples",
    );
    assert.equal(split.health.speechSendLagMs?.count, 10);
    assert.equal(split.config.workers, 2);
    assert.equal(single.health.workers, undefined);
  });

  test("stopping reaches every worker: partial results, marked interrupted", async () => {
    // Stopped once five turns have finished (however long the threads took to start), so some
    // turns are complete and others are in flight in both workers.
    const controller = new AbortController();
    const result = await run({
      ...COMMON,
      server: bot.url,
      requests: 20,
      workers: 2,
      signal: controller.signal,
      onTurn: (_record, progress) => {
        if (progress.done >= 5) controller.abort();
      },
    });
    assert.equal(result.interrupted, true);
    assert.ok(result.turns.length >= 5 && result.turns.length < 100, `${result.turns.length} turns`);
    assert.ok(result.turns.every((turn) => turn.outcome === "ok" || turn.outcome === "cancelled"));
  });

  test("bad values and what cannot cross to a thread are refused", async () => {
    await assert.rejects(run({ ...COMMON, server: bot.url, workers: 0 }), UsageError);
    const custom = defineScenario({ ...simpleQuery, name: "my_query" });
    await assert.rejects(
      run({ ...COMMON, server: bot.url, workers: 2, scenarios: [{ scenario: custom, weight: 1 }] }),
      /custom scenarios cannot cross to worker threads/,
    );
    for (const value of ["0", "x", "1.5"]) {
      const result = await runCli(["--workers", value, "--no-export"]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^voxbench: --workers must be a whole number of at least 1/);
    }
  });
});
