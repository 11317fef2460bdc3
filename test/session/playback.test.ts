import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { playbackTimeOf, simulatePlayback } from "../../src/session/playback.ts";

describe("simulated playback", () => {
  test("chunks arriving ahead of the player: no underrun, ends at start + total audio", () => {
    const chunks = [0, 20, 40, 60].map((arrivalMs) => ({ arrivalMs: 1000 + arrivalMs, durationMs: 100 }));
    const result = simulatePlayback(chunks)!;
    assert.equal(result.underruns, 0);
    assert.equal(result.startMs, 1000);
    assert.equal(result.endMs, 1400);
    assert.deepEqual(result.chunkStartsMs, [1000, 1100, 1200, 1300]);
  });
  test("a late chunk is an underrun of the time the buffer was dry", () => {
    const result = simulatePlayback([
      { arrivalMs: 0, durationMs: 100 },
      { arrivalMs: 250, durationMs: 100 },
      { arrivalMs: 300, durationMs: 100 },
      { arrivalMs: 455, durationMs: 100 },
    ])!;
    assert.equal(result.underruns, 1, "the 5 ms late chunk is jitter, under the threshold");
    assert.equal(result.underrunMs, 150);
    assert.equal(result.longestGapMs, 150);
    assert.equal(result.endMs, 555);
  });
  test("a pause stops the player's clock and is not an underrun", () => {
    const result = simulatePlayback(
      [
        { arrivalMs: 0, durationMs: 100 },
        { arrivalMs: 10, durationMs: 100 },
        { arrivalMs: 400, durationMs: 100 },
      ],
      { pauses: [{ fromMs: 150, toMs: 450 }] },
    )!;
    // 0-100 chunk 1; 100-150 half of chunk 2, paused 150-450, rest of chunk 2 until 500; chunk 3 500-600.
    assert.deepEqual(result.chunkStartsMs, [0, 100, 500]);
    assert.equal(result.endMs, 600);
    assert.equal(result.underruns, 0);
  });
  test("playbackTimeOf maps an audio offset onto the timeline", () => {
    const chunks = [
      { arrivalMs: 1000, durationMs: 100 },
      { arrivalMs: 1300, durationMs: 100 },
    ];
    const result = simulatePlayback(chunks)!;
    assert.equal(playbackTimeOf(chunks, result, 50), 1050);
    assert.equal(playbackTimeOf(chunks, result, 150), 1350);
  });
  test("no chunks, no playback", () => {
    assert.equal(simulatePlayback([]), undefined);
  });
});
