import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { amplitudeToDbfs, dbfsToAmplitude, rmsDbfs, SILENCE_FLOOR_DBFS } from "../../src/audio/energy.ts";
import { clipDurationMs } from "../../src/audio/pcm.ts";
import { silence } from "../../src/audio/silence.ts";

describe("levels", () => {
  test("rmsDbfs of known signals", () => {
    assert.ok(Math.abs(rmsDbfs(Int16Array.from([16384, -16384])) - -6.0206) < 0.001);
    assert.equal(rmsDbfs(new Int16Array(100)), SILENCE_FLOOR_DBFS);
    assert.equal(rmsDbfs(new Int16Array(0)), SILENCE_FLOOR_DBFS);
    assert.ok(Math.abs(amplitudeToDbfs(dbfsToAmplitude(-37)) - -37) < 1e-9);
  });
});

describe("silence", () => {
  test("zeros of the requested length", () => {
    const clip = silence(2000, { sampleRateHz: 8000 });
    assert.equal(clip.samples.length, 16000);
    assert.equal(clipDurationMs(clip), 2000);
    assert.ok(clip.samples.every((sample) => sample === 0));
  });
  test("optional noise at the requested level, reproducible by seed", () => {
    const clip = silence(1000, { noiseDbfs: -50, seed: 3 });
    assert.ok(Math.abs(rmsDbfs(clip.samples) - -50) < 0.5, `${rmsDbfs(clip.samples)} dBFS`);
    assert.deepEqual(clip.samples, silence(1000, { noiseDbfs: -50, seed: 3 }).samples);
  });
  test("rejects a negative duration", () => {
    assert.throws(() => silence(-1), RangeError);
  });
});
