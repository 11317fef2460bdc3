import { decodeMuLaw, encodeMuLaw } from "./g711.ts";
import { clipDurationMs, type PcmClip } from "./pcm.ts";
import { resample } from "./resample.ts";
import { pcm16Bytes } from "./wav-encode.ts";

/** Sample encodings a voice bot may expect on the wire. */
export type WireEncoding = "pcm16" | "mulaw";

/** What a server expects: PCM16 little-endian at 8/16/24/48 kHz, or mu-law at 8 kHz. */
export interface WireFormat {
  readonly encoding: WireEncoding;
  readonly sampleRateHz: number;
}

/** Sample rates accepted for PCM16. */
export const PCM16_SAMPLE_RATES_HZ: readonly number[] = [8000, 16000, 24000, 48000];

/** Audio converted to a wire format: the bytes every caller shares (never mutate). */
export interface EncodedAudio {
  readonly format: WireFormat;
  readonly bytes: Uint8Array;
  readonly durationMs: number;
}

/**
 * Checks a wire format, returning a message saying what is wrong, or undefined when it is valid.
 *
 * @example
 * ```ts
 * import { wireFormatProblem } from "./wire-format.ts";
 * console.log(wireFormatProblem({ encoding: "mulaw", sampleRateHz: 16000 }));
 * // "mu-law is sent at 8000 Hz only (got 16000 Hz)"
 * ```
 */
export function wireFormatProblem(format: WireFormat): string | undefined {
  if (format.encoding === "mulaw") {
    return format.sampleRateHz === 8000 ? undefined : `mu-law is sent at 8000 Hz only (got ${format.sampleRateHz} Hz)`;
  }
  if (format.encoding !== "pcm16") return `unknown encoding "${String(format.encoding)}" (use pcm16 or mulaw)`;
  return PCM16_SAMPLE_RATES_HZ.includes(format.sampleRateHz)
    ? undefined
    : `unsupported sample rate ${format.sampleRateHz} Hz (use ${PCM16_SAMPLE_RATES_HZ.join(", ")})`;
}

/** Bytes one sample takes in a wire encoding. */
export function bytesPerSample(encoding: WireEncoding): number {
  return encoding === "pcm16" ? 2 : 1;
}

/** A stable key for caches, e.g. "pcm16@16000". */
export function wireFormatKey(format: WireFormat): string {
  return `${format.encoding}@${format.sampleRateHz}`;
}

/**
 * Resamples and encodes a clip for the wire.
 *
 * @example
 * ```ts
 * import { encodeForWire } from "./wire-format.ts";
 * import { createClip } from "./pcm.ts";
 * const encoded = encodeForWire(createClip(new Int16Array(16000), 16000), { encoding: "mulaw", sampleRateHz: 8000 });
 * console.log(encoded.bytes.length, encoded.durationMs); // 8000 1000
 * ```
 */
export function encodeForWire(clip: PcmClip, format: WireFormat): EncodedAudio {
  const problem = wireFormatProblem(format);
  if (problem) throw new RangeError(problem);
  const resampled = resample(clip, format.sampleRateHz);
  const bytes = format.encoding === "pcm16" ? pcm16Bytes(resampled.samples) : encodeMuLaw(resampled.samples);
  return { format, bytes, durationMs: clipDurationMs(resampled) };
}

/** Duration in ms of `byteLength` bytes of audio in `format`. */
export function wireDurationMs(byteLength: number, format: WireFormat): number {
  return (byteLength / bytesPerSample(format.encoding) / format.sampleRateHz) * 1000;
}

/**
 * Decodes wire bytes back to Int16 samples (PCM16 LE or mu-law). A trailing odd byte of PCM16 is
 * ignored.
 *
 * @example
 * ```ts
 * import { decodeWireAudio } from "./wire-format.ts";
 * console.log(decodeWireAudio(new Uint8Array([0xe8, 0x03]), { encoding: "pcm16", sampleRateHz: 16000 })); // Int16Array [1000]
 * ```
 */
export function decodeWireAudio(bytes: Uint8Array, format: WireFormat): Int16Array {
  if (format.encoding === "mulaw") return decodeMuLaw(bytes);
  const count = bytes.length >> 1;
  const samples = new Int16Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
  for (let i = 0; i < count; i++) samples[i] = view.getInt16(i * 2, true);
  return samples;
}
