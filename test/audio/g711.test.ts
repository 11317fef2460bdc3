import { describe, test } from "node:test";
import assert from "node:assert/strict";
import wavefile from "wavefile";
import {
  decodeALaw,
  decodeALawSample,
  decodeMuLaw,
  decodeMuLawSample,
  encodeALaw,
  encodeALawSample,
  encodeMuLaw,
  encodeMuLawSample,
} from "../../src/audio/g711.ts";

const { WaveFile } = wavefile;

/** wavefile's own G.711 decoders: an independent implementation to check ours against. */
function wavefileDecode(bytes: number[], encoding: "8m" | "8a"): number[] {
  const wav = new WaveFile();
  wav.fromScratch(1, 8000, encoding, bytes);
  if (encoding === "8m") wav.fromMuLaw();
  else wav.fromALaw();
  return [...(wav.getSamples(false, Float64Array) as Float64Array)];
}

describe("G.711 mu-law", () => {
  test("reference points", () => {
    assert.equal(decodeMuLawSample(0xff), 0);
    assert.equal(decodeMuLawSample(0x7f), 0);
    assert.equal(decodeMuLawSample(0x80), 32124);
    assert.equal(decodeMuLawSample(0x00), -32124);
    assert.equal(encodeMuLawSample(0), 0xff);
    assert.equal(encodeMuLawSample(32767), 0x80);
    assert.equal(encodeMuLawSample(-32768), 0x00);
  });
  test("all 256 codes decode as wavefile decodes them", () => {
    const codes = Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual([...decodeMuLaw(Uint8Array.from(codes))], wavefileDecode(codes, "8m"));
  });
  test("every decoded value re-encodes to a code that decodes to itself", () => {
    for (let code = 0; code < 256; code++) {
      const value = decodeMuLawSample(code);
      assert.equal(decodeMuLawSample(encodeMuLawSample(value)), value);
    }
  });
  test("quantisation error stays within half a step of the segment", () => {
    for (let value = -32768; value <= 32767; value += 7) {
      const error = Math.abs(decodeMuLawSample(encodeMuLawSample(value)) - value);
      const magnitude = Math.min(Math.abs(value), 32635);
      assert.ok(
        error <= Math.max(8, magnitude / 16) + Math.abs(value) - magnitude,
        `value ${value}: error ${error}`,
      );
    }
  });
  test("array helpers match the sample functions", () => {
    const samples = Int16Array.from([0, 100, -100, 5000, -5000, 32767, -32768]);
    const bytes = encodeMuLaw(samples);
    assert.deepEqual([...bytes], [...samples].map(encodeMuLawSample));
  });
});

describe("G.711 A-law", () => {
  test("reference points", () => {
    assert.equal(encodeALawSample(0), 0xd5);
    assert.equal(decodeALawSample(0xd5), 8);
    assert.equal(decodeALawSample(0x55), -8);
    assert.equal(decodeALawSample(0xaa), 32256);
    assert.equal(decodeALawSample(0x2a), -32256);
  });
  test("all 256 codes decode as wavefile decodes them", () => {
    const codes = Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual([...decodeALaw(Uint8Array.from(codes))], wavefileDecode(codes, "8a"));
  });
  test("every decoded value re-encodes to itself", () => {
    for (let code = 0; code < 256; code++) {
      assert.equal(encodeALawSample(decodeALawSample(code)), code);
    }
  });
  test("array helpers match the sample functions", () => {
    const samples = Int16Array.from([0, 100, -100, 5000, -5000, 32767, -32768]);
    assert.deepEqual([...encodeALaw(samples)], [...samples].map(encodeALawSample));
  });
});
