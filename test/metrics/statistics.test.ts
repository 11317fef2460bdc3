import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { percentile, summarize } from "../../src/metrics/percentiles.ts";
import { summarizeRun } from "../../src/metrics/summary.ts";
import { emptyTurnRecord } from "../../src/metrics/turn-record.ts";

describe("percentiles (linear interpolation, numpy's default / Excel PERCENTILE.INC)", () => {
  test("known values", () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(percentile([15, 20, 35, 40, 50], 40), 29);
    assert.equal(percentile([10], 99), 10);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.ok(Math.abs(percentile(hundred, 95) - 95.05) < 1e-9);
    assert.ok(Math.abs(percentile(hundred, 99) - 99.01) < 1e-9);
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.throws(() => percentile([1], 101), RangeError);
  });
  test("summary statistics", () => {
    const stats = summarize([300, 100, 200, 400])!;
    assert.deepEqual(stats, { count: 4, min: 100, mean: 250, median: 250, p95: 385, p99: 397, max: 400 });
    assert.equal(summarize([]), undefined);
  });
});

describe("run summary", () => {
  const record = (
    scenario: string,
    outcome: "ok" | "connect_error" | "timeout_first_audio",
    ttft: number | null,
    file: string | null,
  ) => ({
    ...emptyTurnRecord({
      run_id: "r",
      client_id: 0,
      turn_index: 0,
      scenario,
      started_at: "2026-01-01T00:00:00.000Z",
    }),
    outcome,
    ttft_ms: ttft,
    audio_file: file,
  });
  test("counts, success rate, connection errors, per scenario, files; failed turns' measurements count", () => {
    const summary = summarizeRun([
      record("simple_query", "ok", 300, "a.wav"),
      record("simple_query", "timeout_first_audio", null, "a.wav"),
      record("tool_call", "ok", 500, "b.wav"),
      record("tool_call", "connect_error", null, null),
    ]);
    assert.equal(summary.turns, 4);
    assert.equal(summary.ok, 2);
    assert.equal(summary.failed, 2);
    assert.equal(summary.successRate, 0.5);
    assert.equal(summary.connectionErrors, 1);
    assert.deepEqual(summary.outcomes, { ok: 2, connect_error: 1, timeout_first_audio: 1 });
    assert.equal(summary.metrics.ttft_ms?.count, 2);
    assert.equal(summary.metrics.ttft_ms?.median, 400);
    assert.equal(summary.metrics.stop_ms, null);
    assert.equal(summary.byScenario.simple_query?.turns, 2);
    assert.equal(summary.byScenario.tool_call?.metrics.ttft_ms?.max, 500);
    assert.deepEqual(summary.audioFiles, { "a.wav": 2, "b.wav": 1 });
  });
});
