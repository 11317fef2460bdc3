/**
 * Builds WAV files of any layout for tests: every bit depth, float, G.711, extensible headers,
 * extra chunks, unsupported format tags and broken files. Written independently of the decoder
 * under test, from the RIFF/WAVE specification.
 */
import { encodeALawSample, encodeMuLawSample } from "../../src/audio/g711.ts";

export interface WavSpec {
  /** Per channel, per frame, a float in [-1, 1]. */
  channels: number[][];
  sampleRateHz: number;
  /** "pcm" with 8/16/24/32 bits, "float" with 32/64, "mulaw"/"alaw" with 8; "raw" writes `rawData`. */
  encoding: "pcm" | "float" | "mulaw" | "alaw" | "raw";
  bitDepth: number;
  /** Write WAVE_FORMAT_EXTENSIBLE with this encoding as the sub-format. */
  extensible?: boolean;
  /** Override the format tag written (e.g. 0x0011 for IMA ADPCM). */
  formatTag?: number;
  /** Chunks written before fmt, between fmt and data, and after data. */
  chunksBeforeFmt?: { id: string; size: number }[];
  chunksBeforeData?: { id: string; size: number }[];
  chunksAfterData?: { id: string; size: number }[];
  rawData?: Uint8Array;
}

const TAGS = { pcm: 1, float: 3, alaw: 6, mulaw: 7, raw: 1 } as const;

function ascii(text: string): number[] {
  return [...text].map((char) => char.charCodeAt(0));
}

function u16(value: number): number[] {
  return [value & 0xff, (value >> 8) & 0xff];
}

function u32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

function chunk(id: string, payload: number[] | Uint8Array): number[] {
  const bytes = [...ascii(id), ...u32(payload.length), ...payload];
  if (payload.length % 2) bytes.push(0);
  return bytes;
}

function encodeSample(value: number, encoding: WavSpec["encoding"], bitDepth: number): number[] {
  const clamp = (v: number, min: number, max: number): number => Math.max(min, Math.min(max, v));
  if (encoding === "float") {
    const buffer = new ArrayBuffer(bitDepth / 8);
    const view = new DataView(buffer);
    if (bitDepth === 32) view.setFloat32(0, value, true);
    else view.setFloat64(0, value, true);
    return [...new Uint8Array(buffer)];
  }
  const int16 = clamp(Math.round(value * 32768), -32768, 32767);
  if (encoding === "mulaw") return [encodeMuLawSample(int16)];
  if (encoding === "alaw") return [encodeALawSample(int16)];
  switch (bitDepth) {
    case 8:
      return [clamp(Math.round(value * 128) + 128, 0, 255)];
    case 16:
      return u16(int16 & 0xffff);
    case 24: {
      const v = clamp(Math.round(value * 8388608), -8388608, 8388607) & 0xffffff;
      return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff];
    }
    case 32:
      return u32(clamp(Math.round(value * 2147483648), -2147483648, 2147483647) >>> 0);
    default:
      throw new Error(`test builder: no ${bitDepth}-bit PCM`);
  }
}

/** Builds the bytes of a WAV file from a spec. */
export function buildWav(spec: WavSpec): Uint8Array {
  const channelCount = spec.channels.length;
  const frames = spec.channels[0]?.length ?? 0;
  const bytesPerSample = spec.bitDepth / 8;
  const blockAlign = channelCount * bytesPerSample;
  let data: number[] | Uint8Array;
  if (spec.rawData) {
    data = spec.rawData;
  } else {
    const out: number[] = [];
    for (let frame = 0; frame < frames; frame++) {
      for (let channel = 0; channel < channelCount; channel++) {
        out.push(...encodeSample(spec.channels[channel]![frame]!, spec.encoding, spec.bitDepth));
      }
    }
    data = out;
  }
  const tag = spec.formatTag ?? TAGS[spec.encoding];
  const fmt = [
    ...u16(spec.extensible ? 0xfffe : tag),
    ...u16(channelCount),
    ...u32(spec.sampleRateHz),
    ...u32(spec.sampleRateHz * blockAlign),
    ...u16(blockAlign),
    ...u16(spec.bitDepth),
  ];
  if (spec.extensible) {
    // cbSize 22, valid bits, channel mask, sub-format GUID {tag}-0000-0010-8000-00aa00389b71.
    fmt.push(...u16(22), ...u16(spec.bitDepth), ...u32((1 << channelCount) - 1), ...u32(tag));
    fmt.push(...[0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);
  }
  const filler = (list: { id: string; size: number }[] | undefined): number[] =>
    (list ?? []).flatMap(({ id, size }) => chunk(id, new Array<number>(size).fill(0)));
  const body = [
    ...ascii("WAVE"),
    ...filler(spec.chunksBeforeFmt),
    ...chunk("fmt ", fmt),
    ...filler(spec.chunksBeforeData),
    ...chunk("data", data),
    ...filler(spec.chunksAfterData),
  ];
  return new Uint8Array([...ascii("RIFF"), ...u32(body.length), ...body]);
}

/** A sine wave as floats. */
export function sineWave(
  frequencyHz: number,
  sampleRateHz: number,
  durationMs: number,
  amplitude = 0.5,
): number[] {
  const count = Math.round((sampleRateHz * durationMs) / 1000);
  return Array.from(
    { length: count },
    (_, i) => amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRateHz),
  );
}
