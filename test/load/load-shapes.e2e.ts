/**
 * Load shapes against a bot with few LLM slots (--max-concurrent-replies): a closed run held for a
 * duration, the queueing a closed model hides and an open one shows at the same mean load, and an
 * arrival rate above the bot's capacity whose windows show the time to first audio growing.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { run } from "../../src/load/runner.ts";
import { targetAt } from "../../src/load/stages.ts";
import { type RunningServer, serve } from "../../src/server/server.ts";
import { quickLibrary } from "../helpers/test-audio.ts";
import { createServer } from "node:net";

const SLOTS = 2;
const LLM_MS = 600;
const REPLY_MS = 100;

let bot: RunningServer;
before(async () => {
  bot = await serve({
    port: 0,
    sttMs: { kind: "fixed", ms: 0 },
    llmTtftMs: { kind: "fixed", ms: LLM_MS },
    ttsTtfbMs: { kind: "fixed", ms: 0 },
    maxConcurrentReplies: SLOTS,
    noiseThresholdMs: 150,
    doneEvent: true,
    replyAudio: quickLibrary(REPLY_MS),
  });
});
after(() => bot.close());

const COMMON = {
  audioLibrary: quickLibrary(REPLY_MS),
  replyEnd: "done" as const,
  mix: { simple_query: 1, tool_call: 0, interruption: 0, false_alarm: 0 },
  thinkTimeS: { min: 0, max: 0 },
  seed: 3,
};

describe("load shapes against a bot with 2 LLM slots", () => {
  test("closed, held for a duration: callers take turns until it passes, and none begins after it", async () => {
    const totals: number[] = [];
    const result = await run({
      ...COMMON,
      server: bot.url,
      concurrency: 2,
      durationS: 2.5,
      windowS: 1,
      onTurn: (_record, progress) => totals.push(progress.total),
    });
    const startMs = Date.parse(result.startedAt);
    const perCaller = [0, 1].map((client) => result.turns.filter((turn) => turn.client_id === client).length);
    // A turn is 400 ms of speech + 600 ms to the first audio + 100 ms of it: 3 begin within 2.5 s.
    assert.deepEqual(perCaller, [3, 3], result.turns.map((turn) => turn.started_at).join(", "));
    for (const turn of result.turns) {
      assert.equal(turn.outcome, "ok", `${turn.error}`);
      assert.ok(Date.parse(turn.started_at) - startMs < 2500, `a turn began at ${turn.started_at}`);
    }
    assert.equal(result.turnCounts.planned, result.turns.length);
    assert.ok(totals.every((total) => total === 0), "no total is promised for a run held for a duration");
  });

  test("held for a time, a caller whose connection fails dials again, backing off, until the time is up", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const server = `ws://127.0.0.1:${closedPort}/ws`;
    const held = await run({ ...COMMON, server, concurrency: 1, durationS: 1 });
    // Dials at about 0, 0.1, 0.3, 0.7 s (and one after 1.5 s may begin just before the end).
    assert.ok(held.turns.length >= 3 && held.turns.length <= 6, `${held.turns.length} attempts`);
    assert.ok(held.turns.every((turn) => turn.outcome === "connect_error"));
    const staged = await run({
      ...COMMON,
      server,
      stages: [{ durationS: 1, target: 2 }, { durationS: 1, target: 2 }],
    });
    assert.ok(staged.turns.length <= 12, `${staged.turns.length} attempts: the callers must back off`);
    assert.ok(staged.turns.every((turn) => turn.outcome === "connect_error"));
  });

  test("closed stages: caller k takes turns only while the target is at least k + 1, and calls again when it rises", async () => {
    const stages = [
      { durationS: 1, target: 3 },
      { durationS: 1, target: 3 },
      { durationS: 0.5, target: 1 },
      { durationS: 1.5, target: 1 },
      { durationS: 0.5, target: 3 },
      { durationS: 1.5, target: 3 },
    ];
    const result = await run({ ...COMMON, server: bot.url, stages, windowS: 1 });
    assert.equal(result.config.concurrency, 3, "as many callers as the highest target");
    const startMs = Date.parse(result.startedAt);
    const totalS = stages.reduce((total, stage) => total + stage.durationS, 0);
    for (const turn of result.turns) {
      assert.equal(turn.outcome, "ok", `${turn.error}`);
      const atS = (Date.parse(turn.started_at) - startMs) / 1000;
      assert.ok(atS < totalS, `caller ${turn.client_id} began a turn at ${atS} s`);
      assert.ok(
        targetAt(0, stages, atS + 0.01) >= turn.client_id + 1 - 0.05,
        `caller ${turn.client_id} began a turn at ${atS} s, when the target was ${targetAt(0, stages, atS)}`,
      );
    }
    const callers = new Set(result.turns.map((turn) => turn.client_id));
    assert.deepEqual([...callers].sort(), [0, 1, 2]);
    // Callers 1 and 2 hung up in the dip and called again: 3 + 2 calls in all.
    const callsStarted = (result.timeline ?? []).reduce((total, window) => total + window.callsStarted, 0);
    assert.equal(callsStarted, 5);
    // Turn indices go on across a caller's calls.
    for (const client of callers) {
      const indices = result.turns.filter((turn) => turn.client_id === client).map((turn) => turn.turn_index);
      assert.deepEqual(indices, indices.map((_, index) => index), `caller ${client}: ${indices.join(",")}`);
    }
  });

  test("the same mean load queues far more as open arrivals than as closed callers", async () => {
    // Closed: 4 callers can never put more than 4 turns before 2 slots, so a turn waits at most
    // for one other turn's slot (600 ms). Open arrivals at the same rate of turns come in bursts,
    // and a burst's turns wait behind each other without that bound.
    const closed = await run({ ...COMMON, server: bot.url, concurrency: 4, durationS: 6 });
    // The closed run's throughput, its drain included: the rate of turns it actually offered.
    const ratePerS = closed.turns.length / (closed.durationMs / 1000);
    const open = await run({
      ...COMMON,
      server: bot.url,
      arrivalRate: ratePerS,
      durationS: 8,
      turnsPerCall: 1,
    });
    const ttfts = (result: typeof closed): number[] =>
      result.turns.map((turn) => turn.ttft_ms ?? Infinity).sort((a, b) => a - b);
    const closedTtfts = ttfts(closed);
    const openTtfts = ttfts(open);
    // One slot's hold of waiting at most, and timer jitter.
    const bound = 2 * LLM_MS + 250;
    assert.ok(closedTtfts.at(-1)! <= bound, `closed max ttft ${closedTtfts.at(-1)} ms > ${bound} ms`);
    assert.ok(
      openTtfts.at(-1)! > bound,
      `open arrivals at ${ratePerS.toFixed(2)}/s: max ttft ${openTtfts.at(-1)} ms, closed ${
        closedTtfts.at(-1)
      } ms`,
    );
    const p90 = (sorted: number[]): number => sorted[Math.ceil(sorted.length * 0.9) - 1]!;
    assert.ok(
      p90(openTtfts) > p90(closedTtfts),
      `p90 open ${p90(openTtfts)} ms, closed ${p90(closedTtfts)} ms`,
    );
  });

  test("arrivals above the bot's capacity: the windows show the time to first audio growing", async () => {
    // 2 slots each held 600 ms serve 3.3 turns a second; 6 arrive, so the queue grows by 2.7 a second.
    const result = await run({
      ...COMMON,
      server: bot.url,
      arrivalRate: 6,
      arrivals: "uniform",
      durationS: 4,
      turnsPerCall: 1,
      windowS: 1,
    });
    assert.ok(
      result.turns.every((turn) => turn.outcome === "ok"),
      result.turns.map((turn) => turn.error).join(),
    );
    const medians = (result.timeline ?? [])
      .map((window) => window.metrics.ttft_ms?.median)
      .filter((median): median is number => median !== undefined);
    assert.ok(medians.length >= 4, `${medians.length} windows with turns`);
    for (let index = 1; index < medians.length; index++) {
      assert.ok(
        medians[index]! > medians[index - 1]!,
        `window medians ${medians.map(Math.round).join(", ")} ms`,
      );
    }
    assert.ok(
      medians.at(-1)! - medians[0]! > 2000,
      `window medians ${medians.map(Math.round).join(", ")} ms`,
    );
  });
});
