import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadAudioLibrary } from "../../src/audio/library.ts";
import { createClip } from "../../src/audio/pcm.ts";
import { detectSpeech, detectSpeechInLevels, frameLevels, speechDurationMs } from "../../src/audio/vad.ts";

const RATE = 16000;

/** A clip with tone bursts at the given [startMs, endMs, amplitude] spans over silence. */
function bursts(totalMs: number, spans: [number, number, number][]): ReturnType<typeof createClip> {
  const samples = new Int16Array((RATE * totalMs) / 1000);
  for (const [startMs, endMs, amplitude] of spans) {
    for (let i = (RATE * startMs) / 1000; i < (RATE * endMs) / 1000; i++) {
      samples[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * 300 * i) / RATE));
    }
  }
  return createClip(samples, RATE);
}

describe("energy VAD", () => {
  test("a reply reduced to the levels of its chunks reads as the whole audio when chunks hold whole frames", () => {
    const clip = bursts(2000, [[130, 170, 0.5], [400, 700, 0.05], [1000, 1600, 0.3]]);
    const whole = detectSpeech(clip);
    assert.ok(whole.length >= 2, JSON.stringify(whole));
    const cut = (chunkSamples: number) => {
      const pieces = [];
      for (let start = 0; start < clip.samples.length; start += chunkSamples) {
        pieces.push(frameLevels(clip.samples.subarray(start, start + chunkSamples), RATE));
      }
      return detectSpeechInLevels(pieces);
    };
    assert.deepEqual(cut(320), whole); // 20 ms chunks
    assert.deepEqual(cut(1600), whole); // 100 ms chunks
    // Chunks of 27.5 ms: frames restart at each chunk, so a boundary moves by less than a frame.
    const ragged = cut(440);
    assert.equal(ragged.length, whole.length);
    for (const [index, segment] of ragged.entries()) {
      assert.ok(
        Math.abs(segment.startMs - whole[index]!.startMs) < 10,
        `${segment.startMs} vs ${whole[index]!.startMs}`,
      );
      assert.ok(
        Math.abs(segment.endMs - whole[index]!.endMs) < 10,
        `${segment.endMs} vs ${whole[index]!.endMs}`,
      );
    }
  });
  test("finds a burst with onset and offset within one frame", () => {
    const segments = detectSpeech(bursts(1000, [[200, 700, 0.3]]));
    assert.equal(segments.length, 1);
    assert.ok(Math.abs(segments[0]!.startMs - 200) <= 10);
    assert.ok(Math.abs(segments[0]!.endMs - 700) <= 10);
  });
  test("digital silence has no speech", () => {
    assert.deepEqual(detectSpeech(bursts(500, [])), []);
  });
  test("a level between the thresholds keeps speech going (hysteresis) but does not start it", () => {
    // -45 dBFS RMS tail: below the -40 on-threshold, above the -50 off-threshold.
    const quietAmplitude = 10 ** (-45 / 20) * Math.SQRT2;
    const segments = detectSpeech(
      bursts(1500, [[100, 400, 0.3], [400, 900, quietAmplitude], [1100, 1300, quietAmplitude]]),
    );
    assert.equal(segments.length, 1);
    assert.ok(Math.abs(segments[0]!.endMs - 900) <= 10, `ended at ${segments[0]!.endMs}`);
  });
  test("onset is backdated over a soft attack above the off-threshold", () => {
    const softAmplitude = 10 ** (-45 / 20) * Math.SQRT2;
    const segments = detectSpeech(bursts(1000, [[100, 250, softAmplitude], [250, 600, 0.3]]));
    assert.equal(segments.length, 1);
    assert.ok(Math.abs(segments[0]!.startMs - 100) <= 10, `started at ${segments[0]!.startMs}`);
  });
  test("pauses shorter than minSilenceMs stay in one segment; longer ones split", () => {
    const clip = bursts(2000, [[100, 400, 0.3], [500, 800, 0.3], [1200, 1500, 0.3]]);
    const segments = detectSpeech(clip, { minSilenceMs: 200 });
    assert.equal(segments.length, 2);
    assert.ok(Math.abs(segments[0]!.endMs - 800) <= 10);
    assert.ok(Math.abs(segments[1]!.startMs - 1200) <= 10);
  });
  test("clicks shorter than minSpeechMs are not speech", () => {
    assert.deepEqual(detectSpeech(bursts(1000, [[300, 330, 0.5]]), { minSpeechMs: 60 }), []);
    assert.equal(detectSpeech(bursts(1000, [[300, 400, 0.5]]), { minSpeechMs: 60 }).length, 1);
  });
  test("speech running to the end of the clip is closed at the end", () => {
    const segments = detectSpeech(bursts(505, [[300, 505, 0.3]]));
    assert.equal(segments.length, 1);
    assert.equal(segments[0]!.endMs, 505);
  });
});

describe("energy VAD on the bundled fixtures", async () => {
  const library = await loadAudioLibrary(fileURLToPath(new URL("../../fixtures/", import.meta.url)));
  for (const asset of library.assets) {
    test(`${asset.name} (${asset.role})`, () => {
      const speechMs = speechDurationMs(asset.speechSegments);
      const first = asset.speechSegments[0];
      assert.ok(first, "no speech found");
      // Fixtures carry 60 ms of silence at each end: speech starts right after it.
      assert.ok(Math.abs(first.startMs - 60) <= 20, `onset at ${first.startMs} ms`);
      const bounds: Record<string, [number, number]> = {
        query: [1200, 2300],
        tool: [2500, 3400],
        interrupt: [1100, 1700],
        noise: [50, 450],
        bot: [2000, 4500],
      };
      const [min, max] = bounds[asset.role]!;
      assert.ok(speechMs >= min && speechMs <= max, `${speechMs} ms of speech`);
    });
  }
});
