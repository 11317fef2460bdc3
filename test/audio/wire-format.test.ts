import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmsDbfs } from "../../src/audio/energy.ts";
import { createClip } from "../../src/audio/pcm.ts";
import { frameAudio, frameByteLength } from "../../src/audio/frames.ts";
import {
  decodeWireAudio,
  encodeForWire,
  wireDurationMs,
  wireFormatProblem,
} from "../../src/audio/wire-format.ts";
import { int16FromLittleEndian } from "../../src/audio/int16-le.ts";

function tone(sampleRateHz: number, durationMs: number): Int16Array {
  const samples = new Int16Array((sampleRateHz * durationMs) / 1000);
  for (let i = 0; i < samples.length; i++) {
    samples[i] = Math.round(10000 * Math.sin((2 * Math.PI * 400 * i) / sampleRateHz));
  }
  return samples;
}

describe("wire formats", () => {
  for (const sampleRateHz of [8000, 16000, 24000, 48000]) {
    test(`PCM16 little-endian at ${sampleRateHz} Hz`, () => {
      const encoded = encodeForWire(createClip(tone(16000, 1000), 16000), {
        encoding: "pcm16",
        sampleRateHz,
      });
      assert.equal(encoded.bytes.length, sampleRateHz * 2);
      assert.equal(encoded.durationMs, 1000);
      assert.equal(wireDurationMs(encoded.bytes.length, encoded.format), 1000);
      const decoded = decodeWireAudio(encoded.bytes, encoded.format);
      assert.ok(Math.abs(rmsDbfs(decoded) - rmsDbfs(tone(16000, 1000))) < 0.1);
    });
  }
  test("PCM16 bytes are little-endian", () => {
    const encoded = encodeForWire(createClip(Int16Array.from([0x1234, -2]), 8000), {
      encoding: "pcm16",
      sampleRateHz: 8000,
    });
    assert.deepEqual([...encoded.bytes], [0x34, 0x12, 0xfe, 0xff]);
  });
  test("16-bit little-endian samples from any byte offset, odd last byte ignored, never a shared buffer", () => {
    const backing = new Uint8Array([0xaa, 0x34, 0x12, 0xfe, 0xff, 0x00, 0x80, 0xff, 0x7f, 0x07]);
    const bytes = backing.subarray(1); // odd offset: an Int16Array cannot view it in place
    const samples = int16FromLittleEndian(bytes);
    assert.deepEqual([...samples], [0x1234, -2, -32768, 32767]);
    assert.deepEqual([...decodeWireAudio(bytes, { encoding: "pcm16", sampleRateHz: 8000 })], [
      0x1234,
      -2,
      -32768,
      32767,
    ]);
    backing[1] = 0;
    assert.equal(samples[0], 0x1234, "a copy, not a view of the message's bytes");
    // A Buffer (what sockets and files give) inside a larger pool: Buffer#slice would be a view of it all.
    const pooled = Buffer.concat([
      Buffer.from([9, 9, 9]),
      Buffer.from([0x34, 0x12, 0xfe, 0xff, 0x01]),
      Buffer.alloc(100, 5),
    ]);
    assert.deepEqual([...int16FromLittleEndian(pooled.subarray(3, 8))], [0x1234, -2]);
  });
  test("mu-law at 8 kHz: one byte per sample, level kept within 0.2 dB", () => {
    const encoded = encodeForWire(createClip(tone(16000, 1000), 16000), {
      encoding: "mulaw",
      sampleRateHz: 8000,
    });
    assert.equal(encoded.bytes.length, 8000);
    const decoded = decodeWireAudio(encoded.bytes, encoded.format);
    assert.ok(Math.abs(rmsDbfs(decoded) - rmsDbfs(tone(16000, 1000))) < 0.2);
  });
  test("invalid formats are explained", () => {
    assert.match(wireFormatProblem({ encoding: "mulaw", sampleRateHz: 16000 }) ?? "", /8000 Hz only/);
    assert.match(
      wireFormatProblem({ encoding: "pcm16", sampleRateHz: 44100 }) ?? "",
      /unsupported sample rate 44100/,
    );
    assert.equal(wireFormatProblem({ encoding: "pcm16", sampleRateHz: 24000 }), undefined);
    assert.throws(() =>
      encodeForWire(createClip(new Int16Array(10), 8000), { encoding: "pcm16", sampleRateHz: 11025 })
    );
  });
});

describe("frames", () => {
  const encoded = encodeForWire(createClip(tone(8000, 1010), 8000), {
    encoding: "pcm16",
    sampleRateHz: 16000,
  });
  test("20 ms frames of PCM16 at 16 kHz are 640 bytes; the last holds the remainder", () => {
    const frames = frameAudio(encoded);
    assert.equal(frames.length, 51);
    assert.ok(frames.slice(0, 50).every((frame) => frame.length === 640));
    assert.equal(frames[50]!.length, 320);
  });
  test("frames are views of the shared bytes, not copies", () => {
    const frames = frameAudio(encoded, 20);
    assert.ok(frames.every((frame) => frame.buffer === encoded.bytes.buffer));
    assert.equal(frames[1]!.byteOffset, encoded.bytes.byteOffset + 640);
  });
  test("mu-law 8 kHz 20 ms frames are 160 bytes, as Twilio sends", () => {
    const mulaw = encodeForWire(createClip(tone(8000, 100), 8000), { encoding: "mulaw", sampleRateHz: 8000 });
    assert.equal(frameByteLength(mulaw, 20), 160);
  });
  test("a frame length that is not a whole number of samples is refused", () => {
    assert.throws(() => frameByteLength(encoded, 0.01), /whole number of samples/);
    assert.throws(() => frameByteLength(encoded, 0), /more than 0/);
    assert.throws(() => frameByteLength(encoded, 1001), /at most 1000 ms/);
  });
});

describe("microphone frames (frameMs)", () => {
  test("an utterance is padded with silence to whole frames and lasts that long", () => {
    const clip = createClip(tone(16000, 1010), 16000);
    const framed = encodeForWire(clip, { encoding: "pcm16", sampleRateHz: 16000, frameMs: 20 });
    assert.equal(framed.durationMs, 1020);
    assert.equal(framed.bytes.length, 1020 * 16 * 2);
    const samples = decodeWireAudio(framed.bytes, framed.format);
    assert.deepEqual(samples.subarray(0, 16160), clip.samples);
    assert.ok(samples.subarray(16160).every((sample) => sample === 0));
    assert.equal(frameAudio(framed, 20).length, 51);
    assert.ok(frameAudio(framed, 20).every((frame) => frame.length === 640));
  });
  test("mu-law pads with mu-law silence; a clip of whole frames is unchanged", () => {
    const framed = encodeForWire(createClip(tone(8000, 95), 8000), {
      encoding: "mulaw",
      sampleRateHz: 8000,
      frameMs: 20,
    });
    assert.equal(framed.bytes.length, 800);
    assert.ok(decodeWireAudio(framed.bytes.subarray(760), framed.format).every((sample) => sample === 0));
    const whole = encodeForWire(createClip(tone(16000, 1000), 16000), {
      encoding: "pcm16",
      sampleRateHz: 16000,
      frameMs: 40,
    });
    assert.equal(whole.durationMs, 1000);
  });
  test("frame lengths that are not whole samples, zero or over a second are refused", () => {
    assert.match(
      wireFormatProblem({ encoding: "mulaw", sampleRateHz: 8000, frameMs: 0.1 }) ?? "",
      /not a whole number of samples at 8000 Hz/,
    );
    assert.match(
      wireFormatProblem({ encoding: "pcm16", sampleRateHz: 16000, frameMs: 0 }) ?? "",
      /more than 0/,
    );
    assert.match(
      wireFormatProblem({ encoding: "pcm16", sampleRateHz: 16000, frameMs: 2000 }) ?? "",
      /at most 1000 ms/,
    );
    assert.equal(wireFormatProblem({ encoding: "pcm16", sampleRateHz: 48000, frameMs: 10 }), undefined);
  });
});
