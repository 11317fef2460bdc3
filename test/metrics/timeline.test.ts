/**
 * The timeline on made-up times: windows of calls in progress, arrivals and turns, statistics from
 * raw samples, merging workers' windows exactly, and timeline.csv.
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
    assert.equal(csv[2]!.split(",")[0], "5");
  });
});
