import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmsDbfs } from "../../src/audio/energy.ts";
import { createClip, type PcmClip } from "../../src/audio/pcm.ts";
import { resample } from "../../src/audio/resample.ts";

function sineClip(frequencyHz: number, sampleRateHz: number, durationMs: number, amplitude = 0.5): PcmClip {
  const samples = new Int16Array(Math.round((sampleRateHz * durationMs) / 1000));
  for (let i = 0; i < samples.length; i++) {
    samples[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRateHz));
  }
  return createClip(samples, sampleRateHz);
}

/** Frequency from interpolated upward zero crossings in the middle 80% (edges hold filter ramps). */
function measuredFrequencyHz(clip: PcmClip): number {
  const samples = clip.samples;
  const from = Math.floor(samples.length * 0.1);
  const to = Math.floor(samples.length * 0.9);
  let first = -1;
  let last = -1;
  let crossings = 0;
  for (let i = from + 1; i < to; i++) {
    const previous = samples[i - 1]!;
    const current = samples[i]!;
    if (previous < 0 && current >= 0) {
      const position = i - 1 + -previous / (current - previous);
      if (first < 0) first = position;
      last = position;
      crossings++;
    }
  }
  return ((crossings - 1) * clip.sampleRateHz) / (last - first);
}

function middleRmsDbfs(clip: PcmClip): number {
  return rmsDbfs(clip.samples, Math.floor(clip.samples.length * 0.1), Math.floor(clip.samples.length * 0.9));
}

describe("resample", () => {
  const cases: [number, number, number][] = [
    // tone, from, to: every rate a WAV may have, to every rate a bot may want
    [1000, 48000, 16000],
    [1000, 44100, 8000],
    [2500, 44100, 16000],
    [3000, 16000, 8000],
    [440, 16000, 48000],
    [1000, 16000, 24000],
    [700, 8000, 16000],
    [5000, 22050, 24000],
    [1000, 11025, 8000],
    [8000, 48000, 24000],
  ];
  for (const [frequencyHz, fromHz, toHz] of cases) {
    test(`${frequencyHz} Hz sine ${fromHz} -> ${toHz} Hz keeps frequency and RMS within 0.1 dB`, () => {
      const input = sineClip(frequencyHz, fromHz, 500);
      const output = resample(input, toHz);
      assert.equal(output.sampleRateHz, toHz);
      assert.equal(output.samples.length, Math.round((input.samples.length * toHz) / fromHz));
      const frequencyError = Math.abs(measuredFrequencyHz(output) - frequencyHz);
      assert.ok(frequencyError < 0.5, `frequency off by ${frequencyError} Hz`);
      const levelChangeDb = Math.abs(middleRmsDbfs(output) - middleRmsDbfs(input));
      assert.ok(levelChangeDb < 0.1, `RMS changed by ${levelChangeDb} dB`);
    });
  }
  test("content above the new Nyquist frequency is removed, not aliased", () => {
    // 6 kHz at 48 kHz would alias to 2 kHz at 8 kHz without the low-pass filter.
    const output = resample(sineClip(6000, 48000, 500), 8000);
    assert.ok(middleRmsDbfs(output) < -60, `alias at ${middleRmsDbfs(output)} dBFS`);
  });
  test("same rate returns the same clip without copying", () => {
    const clip = sineClip(100, 16000, 10);
    assert.equal(resample(clip, 16000), clip);
  });
  test("rejects a non-integer rate", () => {
    assert.throws(() => resample(sineClip(100, 16000, 10), 8000.5), /positive integer/);
  });
});
