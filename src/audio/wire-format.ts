import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from "./g711.ts";
import type { PcmClip } from "./pcm.ts";
import { resample } from "./resample.ts";
import { pcm16Bytes } from "./wav-encode.ts";
import { int16FromLittleEndian } from "./int16-le.ts";

/** Sample encodings a voice bot may expect on the wire. */
export type WireEncoding = "pcm16" | "mulaw" | "alaw";

/**
 * What a server expects: PCM16 little-endian at 8/16/24/48 kHz, or G.711 mu-law or A-law at 8 kHz, optionally in
 * microphone frames of `frameMs`: a microphone only ever yields whole frames, so an utterance is
 * padded with silence to a whole number of them (and lasts that long).
 */
export interface WireFormat {
  readonly encoding: WireEncoding;
  readonly sampleRateHz: number;
  /** Frame length in ms; undefined sends the clip exactly as long as it is. */
  readonly frameMs?: number;
}

/** Longest frame accepted: a second (real stacks use 10-250 ms). */
export const MAX_FRAME_MS = 1000;

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
  if (format.encoding === "mulaw" || format.encoding === "alaw") {
    if (format.sampleRateHz !== 8000) {
      return `${
        format.encoding === "mulaw" ? "mu-law" : "A-law"
      } is sent at 8000 Hz only (got ${format.sampleRateHz} Hz)`;
    }
  } else if (format.encoding !== "pcm16") {
    return `unknown encoding "${String(format.encoding)}" (use pcm16, mulaw or alaw)`;
  } else if (!PCM16_SAMPLE_RATES_HZ.includes(format.sampleRateHz)) {
    return `unsupported sample rate ${format.sampleRateHz} Hz (use ${PCM16_SAMPLE_RATES_HZ.join(", ")})`;
  }
  return format.frameMs === undefined ? undefined : frameProblem(format.frameMs, format.sampleRateHz);
}

/**
 * Checks a frame length: more than 0, at most a second, and a whole number of samples at the rate.
 *
 * @example
 * ```ts
 * import { frameProblem } from "./wire-format.ts";
 * console.log(frameProblem(20, 16000), frameProblem(0.01, 8000));
 * // undefined "a 0.01 ms frame is not a whole number of samples at 8000 Hz"
 * ```
 */
export function frameProblem(frameMs: number, sampleRateHz: number): string | undefined {
  if (!(frameMs > 0) || frameMs > MAX_FRAME_MS) {
    return `the frame length must be more than 0 and at most ${MAX_FRAME_MS} ms (got ${frameMs})`;
  }
  const samples = (sampleRateHz * frameMs) / 1000;
  if (Math.abs(samples - Math.round(samples)) > 1e-9) {
    return `a ${frameMs} ms frame is not a whole number of samples at ${sampleRateHz} Hz`;
  }
  return undefined;
}

/** Samples in one frame of `frameMs` at `sampleRateHz` (checked with {@link frameProblem} first). */
export function samplesPerFrame(frameMs: number, sampleRateHz: number): number {
  return Math.round((sampleRateHz * frameMs) / 1000);
}

/** Bytes one sample takes in a wire encoding. */
export function bytesPerSample(encoding: WireEncoding): number {
  return encoding === "pcm16" ? 2 : 1;
}

/** A stable key for caches, e.g. "pcm16@16000" or "mulaw@8000/20ms". */
export function wireFormatKey(format: WireFormat): string {
  return `${format.encoding}@${format.sampleRateHz}${
    format.frameMs === undefined ? "" : `/${format.frameMs}ms`
  }`;
}

/**
 * Resamples and encodes a clip for the wire; with `frameMs`, pads it with silence to whole frames.
 *
 * @example
 * ```ts
 * import { encodeForWire } from "./wire-format.ts";
 * import { createClip } from "./pcm.ts";
 * const encoded = encodeForWire(createClip(new Int16Array(16000), 16000), { encoding: "mulaw", sampleRateHz: 8000 });
 * console.log(encoded.bytes.length, encoded.durationMs); // 8000 1000
 * const framed = encodeForWire(createClip(new Int16Array(1610), 16000), { encoding: "pcm16", sampleRateHz: 16000, frameMs: 20 });
 * console.log(framed.durationMs); // 120 (100.625 ms of audio in six 20 ms frames)
 * ```
 */
export function encodeForWire(clip: PcmClip, format: WireFormat): EncodedAudio {
  const problem = wireFormatProblem(format);
  if (problem) throw new RangeError(problem);
  const resampled = resample(clip, format.sampleRateHz);
  const samples = format.frameMs === undefined
    ? resampled.samples
    : padToWholeFrames(resampled.samples, samplesPerFrame(format.frameMs, format.sampleRateHz));
  const bytes = format.encoding === "pcm16"
    ? pcm16Bytes(samples)
    : format.encoding === "mulaw"
    ? encodeMuLaw(samples)
    : encodeALaw(samples);
  return { format, bytes, durationMs: (samples.length / format.sampleRateHz) * 1000 };
}

/** Appends silence so the length is a whole number of frames (the same array when it already is). */
function padToWholeFrames(samples: Int16Array, frameSamples: number): Int16Array {
  const remainder = samples.length % frameSamples;
  if (remainder === 0) return samples;
  const padded = new Int16Array(samples.length + frameSamples - remainder);
  padded.set(samples);
  return padded;
}

/** Duration in ms of `byteLength` bytes of audio in `format`. */
export function wireDurationMs(byteLength: number, format: WireFormat): number {
  return (byteLength / bytesPerSample(format.encoding) / format.sampleRateHz) * 1000;
}

/**
 * Decodes wire bytes back to Int16 samples (PCM16 LE, mu-law or A-law). A trailing odd byte of PCM16 is
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
  if (format.encoding === "alaw") return decodeALaw(bytes);
  return int16FromLittleEndian(bytes);
}
