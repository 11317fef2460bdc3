/**
 * The timeline on made-up times: windows of calls in progress, arrivals and turns, statistics from
 * raw samples, the generator's own loop lag per window, merging workers' windows exactly, and
 * timeline.csv.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { emptyTurnRecord, type TurnRecord } from "../../src/metrics/turn-record.ts";
import {
  mergeTimelines,
  summarizeTimeline,
  TIMELINE_COLUMNS,
  timelineCsv,
  TimelineRecorder,
} from "../../src/metrics/timeline.ts";

function turn(outcome: TurnRecord["outcome"], ttftMs: number | null): TurnRecord {
  const record = emptyTurnRecord({
    run_id: "r",
    client_id: 0,
    turn_index: 0,
    scenario: "simple_query",
    started_at: new Date(0).toISOString(),
  });
  record.outcome = outcome;
  record.ttft_ms = ttftMs;
  return record;
}

describe("timeline", () => {
  test("calls in progress carry over empty windows; each turn counts in the window where it finished", () => {
    const timeline = new TimelineRecorder(1000, 1000);
    timeline.arrival(1100);
    timeline.callStarted(1100);
    timeline.arrival(1200);
    timeline.dropped(1200);
    timeline.callStarted(1900);
    timeline.turn(turn("ok", 300), 2500);
    timeline.callEnded(4200);
    timeline.turn(turn("timeout_first_audio", null), 4300);
    const windows = summarizeTimeline(timeline.samples(5500));
    assert.deepEqual(windows.map((window) => window.startS), [0, 1, 2, 3, 4]);
    assert.deepEqual(windows.map((window) => window.activeCalls), [2, 2, 2, 1, 1]);
    assert.deepEqual(windows.map((window) => window.maxActiveCalls), [2, 2, 2, 2, 1]);
    assert.deepEqual(windows.map((window) => window.arrivals), [2, 0, 0, 0, 0]);
    assert.deepEqual(windows.map((window) => window.droppedCalls), [1, 0, 0, 0, 0]);
    assert.deepEqual(windows.map((window) => [window.turns, window.failed]), [
      [0, 0],
      [1, 0],
      [0, 0],
      [1, 1],
      [0, 0],
    ]);
    assert.equal(windows[1]?.metrics.ttft_ms?.median, 300);
    assert.equal(windows[3]?.metrics.ttft_ms, null, "a failed turn without a ttft adds no sample");
    assert.deepEqual(windows[3]?.outcomes, { timeout_first_audio: 1 });
  });

  test("workers' windows merge exactly: counts added, percentiles from every raw sample", () => {
    const a = new TimelineRecorder(0, 1000);
    const b = new TimelineRecorder(0, 1000);
    for (const ttft of [100, 200, 300, 400]) a.turn(turn("ok", ttft), 500);
    for (const ttft of [1000, 2000]) b.turn(turn("ok", ttft), 600);
    a.callStarted(10);
    b.callStarted(20);
    b.callStarted(30);
    const merged = summarizeTimeline(mergeTimelines([a.samples(), b.samples(2500)])!);
    assert.equal(merged.length, 3);
    assert.equal(merged[0]?.turns, 6);
    assert.equal(merged[0]?.metrics.ttft_ms?.max, 2000);
    assert.equal(
      merged[0]?.metrics.ttft_ms?.median,
      350,
      "the median of all six samples, not of each part's",
    );
    assert.deepEqual(
      merged.map((window) => window.activeCalls),
      [3, 3, 3],
      "a part without later events keeps its calls",
    );
  });

  test("loop-lag samples land in the window where they were taken; p99 and max from its raw samples", () => {
    const timeline = new TimelineRecorder(1000, 1000);
    timeline.loopLag(500, 7); // before the origin: the first window
    for (let lagMs = 1; lagMs <= 100; lagMs++) timeline.loopLag(1000 + lagMs, lagMs);
    timeline.loopLag(2999, 3);
    const samples = timeline.samples(3500);
    assert.deepEqual(samples.windows.map((window) => window.loopLagsMs.length), [101, 1, 0]);
    assert.deepEqual(samples.windows[1]?.loopLagsMs, [3]);
    const windows = summarizeTimeline(samples);
    // R-7 over 1..100 plus a 7 (101 samples): p99 is the sorted sample at rank 0.99 x 100 = 99.
    assert.equal(windows[0]?.loopLagP99Ms, 99);
    assert.equal(windows[0]?.loopLagMaxMs, 100);
    assert.equal(windows[1]?.loopLagP99Ms, 3);
    assert.equal(windows[1]?.loopLagMaxMs, 3);
    assert.equal(windows[2]?.loopLagP99Ms, null, "a window without a sample has no lag figures");
    assert.equal(windows[2]?.loopLagMaxMs, null);
    assert.deepEqual(
      windows.map((window) => window.generatorLagged),
      [false, false, false],
      "without maxLagMs no window is judged",
    );
  });

  test("generatorLagged: only where the window's loop-lag p99 is above maxLagMs", () => {
    const timeline = new TimelineRecorder(0, 1000);
    for (const atMs of [100, 200, 300]) timeline.loopLag(atMs, 25); // p99 25: at the limit, not above
    for (const atMs of [1100, 1200, 1300]) timeline.loopLag(atMs, 26); // p99 26: above
    timeline.loopLag(2100, 0);
    timeline.loopLag(2200, 80); // one spike among two samples: p99 79.2, above
    const windows = summarizeTimeline(timeline.samples(3500), 25);
    assert.deepEqual(windows.map((window) => window.generatorLagged), [false, true, true, false]);
    assert.equal(windows[3]?.loopLagP99Ms, null, "no samples: not lagged");
  });

  test("workers' loop-lag samples merge by concatenation, window by window", () => {
    const a = new TimelineRecorder(0, 1000);
    const b = new TimelineRecorder(0, 1000);
    a.loopLag(100, 1);
    a.loopLag(200, 2);
    b.loopLag(300, 50);
    b.loopLag(1500, 4);
    const merged = mergeTimelines([a.samples(), b.samples()])!;
    assert.deepEqual(merged.windows.map((window) => window.loopLagsMs), [[1, 2, 50], [4]]);
    const windows = summarizeTimeline(merged, 10);
    assert.equal(windows[0]?.loopLagMaxMs, 50, "the max of every worker's samples");
    assert.deepEqual(windows.map((window) => window.generatorLagged), [true, false]);
  });

  test("timeline.csv: one row per window under a fixed header", () => {
    const timeline = new TimelineRecorder(0, 5000);
    timeline.turn(turn("ok", 123.4567), 100);
    const csv = timelineCsv(summarizeTimeline(timeline.samples(7000))).trim().split("\n");
    assert.equal(csv[0], TIMELINE_COLUMNS.join(","));
    assert.equal(csv.length, 3);
    const row = Object.fromEntries(
      TIMELINE_COLUMNS.map((column, index) => [column, csv[1]!.split(",")[index]]),
    );
    assert.equal(row.start_s, "0");
    assert.equal(row.turns, "1");
    assert.equal(row.ttft_p50_ms, "123.457");
    assert.equal(row.stop_p95_ms, "");
    assert.equal(row.loop_lag_p99_ms, "", "no loop-lag sample: empty cells");
    assert.equal(row.loop_lag_max_ms, "");
    assert.equal(row.generator_lagged, "false");
    assert.equal(csv[2]!.split(",")[0], "5");
  });

  test("timeline.csv ends with the generator's loop lag and whether it lagged", () => {
    assert.deepEqual(TIMELINE_COLUMNS.slice(-3), ["loop_lag_p99_ms", "loop_lag_max_ms", "generator_lagged"]);
    const timeline = new TimelineRecorder(0, 1000);
    timeline.loopLag(100, 1.23456);
    timeline.loopLag(1100, 30);
    const csv = timelineCsv(summarizeTimeline(timeline.samples(), 25)).trim().split("\n");
    assert.equal(csv.length, 3);
    const rows = csv.slice(1).map((line) => line.split(",").slice(-3));
    assert.deepEqual(rows, [["1.235", "1.235", "false"], ["30", "30", "true"]]);
  });
});
