import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { readdirSync, readFileSync } from "node:fs";
import { AudioError } from "../../src/audio/audio-error.ts";
import { decodeWav } from "../../src/audio/wav-decode.ts";
import { encodeWavMuLaw, encodeWavPcm16 } from "../../src/audio/wav-encode.ts";
import { createClip } from "../../src/audio/pcm.ts";
import { buildWav, sineWave, type WavSpec } from "../helpers/wav-builder.ts";

const SEED_DIR = new URL("../fixtures/seed-samples/", import.meta.url);

/** Largest difference between decoded Int16 samples and the expected floats scaled to Int16. */
function maxError(decoded: Int16Array, expected: number[]): number {
  assert.equal(decoded.length, expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(decoded[i]! - expected[i]! * 32768));
  }
  return worst;
}

function decodeSpec(spec: WavSpec) {
  return decodeWav(buildWav(spec), "test.wav");
}

describe("decodeWav: every supported encoding", () => {
  const tone = sineWave(440, 16000, 50, 0.6);
  const cases: [WavSpec["encoding"], number, number][] = [
    // encoding, bit depth, tolerated error in Int16 steps (quantisation of the source format)
    ["pcm", 8, 130],
    ["pcm", 16, 1],
    ["pcm", 24, 1],
    ["pcm", 32, 1],
    ["float", 32, 1],
    ["float", 64, 1],
    ["mulaw", 8, 1100],
    ["alaw", 8, 1100],
  ];
  for (const [encoding, bitDepth, tolerance] of cases) {
    test(`${encoding} ${bitDepth}-bit mono`, () => {
      const { info, clip } = decodeSpec({ channels: [tone], sampleRateHz: 16000, encoding, bitDepth });
      assert.equal(info.encoding, encoding);
      assert.equal(info.bitDepth, bitDepth);
      assert.equal(info.channels, 1);
      assert.equal(info.frameCount, tone.length);
      assert.equal(info.durationMs, 50);
      assert.ok(
        maxError(clip.samples, tone) <= tolerance,
        `error ${maxError(clip.samples, tone)} > ${tolerance}`,
      );
    });
    test(`${encoding} ${bitDepth}-bit in WAVE_FORMAT_EXTENSIBLE`, () => {
      const { info, clip } = decodeSpec({
        channels: [tone],
        sampleRateHz: 16000,
        encoding,
        bitDepth,
        extensible: true,
      });
      assert.equal(info.extensible, true);
      assert.equal(info.encoding, encoding);
      assert.ok(maxError(clip.samples, tone) <= tolerance);
    });
  }

  test("16-bit mono is decoded bit-exactly", () => {
    const samples = Int16Array.from([0, 1, -1, 32767, -32768, 12345, -12345]);
    const { clip } = decodeWav(encodeWavPcm16(createClip(samples, 8000)));
    assert.deepEqual([...clip.samples], [...samples]);
  });

  for (const rate of [8000, 11025, 22050, 44100, 48000, 96000]) {
    test(`sample rate ${rate} Hz is kept and drives the duration`, () => {
      const signal = sineWave(300, rate, 100);
      const { info, clip } = decodeSpec({
        channels: [signal],
        sampleRateHz: rate,
        encoding: "pcm",
        bitDepth: 16,
      });
      assert.equal(info.sampleRateHz, rate);
      assert.equal(clip.sampleRateHz, rate);
      assert.ok(Math.abs(info.durationMs - 100) < 1000 / rate);
    });
  }
});

describe("decodeWav: channel down-mix", () => {
  test("stereo is averaged to mono", () => {
    const left = [0.5, 0.5, -0.25, 0];
    const right = [0.5, -0.5, -0.25, 0.5];
    const { info, clip } = decodeSpec({
      channels: [left, right],
      sampleRateHz: 8000,
      encoding: "pcm",
      bitDepth: 16,
    });
    assert.equal(info.channels, 2);
    assert.deepEqual([...clip.samples], [16384, 0, -8192, 8192]);
  });
  test("6-channel extensible 24-bit is averaged to mono", () => {
    const channels = [0.6, 0.3, 0, -0.3, 0.3, 0.6].map((value) => [value, -value]);
    const { info, clip } = decodeSpec({
      channels,
      sampleRateHz: 48000,
      encoding: "pcm",
      bitDepth: 24,
      extensible: true,
    });
    assert.equal(info.channels, 6);
    assert.equal(info.extensible, true);
    assert.ok(Math.abs(clip.samples[0]! - 0.25 * 32768) <= 1);
    assert.ok(Math.abs(clip.samples[1]! + 0.25 * 32768) <= 1);
  });
  test("stereo mu-law and float are averaged to mono", () => {
    for (const [encoding, bitDepth] of [["mulaw", 8], ["float", 32]] as const) {
      const { clip } = decodeSpec({ channels: [[0.5], [0.25]], sampleRateHz: 8000, encoding, bitDepth });
      assert.ok(Math.abs(clip.samples[0]! - 0.375 * 32768) < 400, `${encoding}: ${clip.samples[0]}`);
    }
  });
});

describe("decodeWav: extra chunks", () => {
  test("JUNK before fmt, FLLR and LIST before data, odd-sized chunk after data", () => {
    const tone = sineWave(200, 16000, 20);
    const { info, clip } = decodeSpec({
      channels: [tone],
      sampleRateHz: 16000,
      encoding: "pcm",
      bitDepth: 16,
      chunksBeforeFmt: [{ id: "JUNK", size: 28 }],
      chunksBeforeData: [{ id: "FLLR", size: 4008 }, { id: "LIST", size: 31 }],
      chunksAfterData: [{ id: "id3 ", size: 9 }],
    });
    assert.deepEqual(info.chunkIds, ["JUNK", "fmt ", "FLLR", "LIST", "data", "id3 "]);
    assert.ok(maxError(clip.samples, tone) <= 1);
  });
  test("an odd-length mu-law data chunk does not gain its pad byte as a sample", () => {
    const clip = createClip(Int16Array.from([0, 1000, -1000, 32000, -32000]), 8000);
    const decoded = decodeWav(encodeWavMuLaw(clip));
    assert.equal(decoded.info.frameCount, 5);
  });
});

describe("decodeWav: the ten seed samples (macOS say, JUNK + FLLR)", () => {
  const files = readdirSync(SEED_DIR).filter((name) => name.endsWith(".wav")).sort();
  test("all ten are present", () => assert.equal(files.length, 10));
  for (const name of files) {
    test(name, () => {
      const bytes = readFileSync(new URL(name, SEED_DIR));
      const { info, clip } = decodeWav(bytes, name);
      assert.equal(info.sampleRateHz, 16000);
      assert.equal(info.channels, 1);
      assert.deepEqual(info.chunkIds, ["JUNK", "fmt ", "FLLR", "data"]);
      // Duration comes from the audio: data bytes / 2 bytes per frame.
      const dataOffset = Buffer.from(bytes).indexOf("data");
      const dataBytes = new DataView(bytes.buffer, bytes.byteOffset).getUint32(dataOffset + 4, true);
      assert.equal(info.frameCount, dataBytes / 2);
      assert.equal(clip.samples.length, dataBytes / 2);
    });
  }
  test("the 'noise_0_3s' mhmm lasts 937 ms, not the 300 ms its name says", () => {
    const { info } = decodeWav(readFileSync(new URL("noise_0_3s_mhmm.wav", SEED_DIR)));
    assert.equal(Math.round(info.durationMs), 937);
  });
});

describe("decodeWav: rejections name the file and the reason", () => {
  const tone = sineWave(440, 8000, 10);
  const rejects = (bytes: Uint8Array, pattern: RegExp): void => {
    assert.throws(
      () => decodeWav(bytes, "clip.wav"),
      (error: unknown) => {
        assert.ok(error instanceof AudioError);
        assert.equal(error.file, "clip.wav");
        assert.match(error.message, /^clip\.wav: /);
        assert.match(error.reason, pattern);
        assert.ok(!error.message.includes("\n"));
        return true;
      },
    );
  };
  const formats: [number, RegExp][] = [
    [0x0002, /Microsoft ADPCM/],
    [0x0011, /IMA ADPCM/],
    [0x0031, /GSM 6\.10/],
    [0x0055, /MP3/],
    [0x0050, /MPEG/],
    [0x1234, /format 0x1234/],
  ];
  for (const [formatTag, pattern] of formats) {
    test(`format 0x${formatTag.toString(16)}`, () => {
      rejects(
        buildWav({
          channels: [tone],
          sampleRateHz: 8000,
          encoding: "raw",
          bitDepth: 8,
          formatTag,
          rawData: new Uint8Array(40),
        }),
        pattern,
      );
    });
    test(`format 0x${formatTag.toString(16)} inside WAVE_FORMAT_EXTENSIBLE`, () => {
      rejects(
        buildWav({
          channels: [tone],
          sampleRateHz: 8000,
          encoding: "raw",
          bitDepth: 8,
          formatTag,
          extensible: true,
          rawData: new Uint8Array(40),
        }),
        pattern,
      );
    });
  }
  test("empty file", () => rejects(new Uint8Array(0), /empty file/));
  test("not a WAV at all", () =>
    rejects(new TextEncoder().encode("ID3\u0003 this is an mp3 file"), /not a WAV file/));
  test("too short to be a WAV", () => rejects(new TextEncoder().encode("RIFF"), /not a WAV file/));
  test("RIFX (big-endian)", () => {
    const bytes = buildWav({ channels: [tone], sampleRateHz: 8000, encoding: "pcm", bitDepth: 16 });
    bytes.set([0x52, 0x49, 0x46, 0x58], 0);
    rejects(bytes, /RIFX/);
  });
  test("truncated in the data chunk", () => {
    const bytes = buildWav({ channels: [tone], sampleRateHz: 8000, encoding: "pcm", bitDepth: 16 });
    rejects(bytes.subarray(0, bytes.length - 7), /truncated.*declares 160 bytes, only 153/);
  });
  test("truncated in the header", () => {
    const bytes = buildWav({ channels: [tone], sampleRateHz: 8000, encoding: "pcm", bitDepth: 16 });
    rejects(bytes.subarray(0, 30), /truncated/);
  });
  test("no data chunk", () => {
    const bytes = buildWav({ channels: [tone], sampleRateHz: 8000, encoding: "pcm", bitDepth: 16 });
    rejects(bytes.subarray(0, 36), /no data chunk/);
  });
  test("empty data chunk", () => {
    rejects(buildWav({ channels: [[]], sampleRateHz: 8000, encoding: "pcm", bitDepth: 16 }), /no audio/);
  });
  test("data not a whole number of frames", () => {
    rejects(
      buildWav({
        channels: [[0], [0]],
        sampleRateHz: 8000,
        encoding: "raw",
        bitDepth: 16,
        rawData: new Uint8Array(6),
      }),
      /whole number/,
    );
  });
  test("streamed WAV with unknown data size", () => {
    const bytes = buildWav({ channels: [tone], sampleRateHz: 8000, encoding: "pcm", bitDepth: 16 });
    new DataView(bytes.buffer).setUint32(40, 0xffffffff, true);
    rejects(bytes, /unknown/);
  });
  test("unsupported bit depth (12-bit PCM)", () => {
    rejects(
      buildWav({
        channels: [tone],
        sampleRateHz: 8000,
        encoding: "raw",
        bitDepth: 12,
        rawData: new Uint8Array(30),
      }),
      /bit depth 12/,
    );
  });
  test("16-bit float", () => {
    rejects(
      buildWav({
        channels: [tone],
        sampleRateHz: 8000,
        encoding: "raw",
        bitDepth: 16,
        formatTag: 3,
        rawData: new Uint8Array(20),
      }),
      /bit depth 16 for float/,
    );
  });
  test("zero channels", () => {
    const bytes = buildWav({ channels: [tone], sampleRateHz: 8000, encoding: "pcm", bitDepth: 16 });
    new DataView(bytes.buffer).setUint16(22, 0, true);
    rejects(bytes, /0 channels/);
  });
});
