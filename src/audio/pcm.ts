/**
 * The PCM clip model: mono signed 16-bit samples at a known rate. Every audio source (WAV files,
 * silence) produces one, and every wire format is encoded from one.
 *
 * @example
 * ```ts
 * import { createClip, clipDurationMs } from "./pcm.ts";
 * const clip = createClip(new Int16Array(16000), 16000);
 * console.log(clipDurationMs(clip)); // 1000
 * ```
 */
export interface PcmClip {
  /** Mono samples, -32768..32767. Shared between callers: never mutate. */
  readonly samples: Int16Array;
  readonly sampleRateHz: number;
}

/** Wraps samples as a clip after checking the rate is a positive integer. */
export function createClip(samples: Int16Array, sampleRateHz: number): PcmClip {
  if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) {
    throw new RangeError(`sample rate must be a positive integer, got ${sampleRateHz}`);
  }
  return { samples, sampleRateHz };
}

/** Duration of a clip in milliseconds (fractional). */
export function clipDurationMs(clip: PcmClip): number {
  return (clip.samples.length * 1000) / clip.sampleRateHz;
}

/** Number of samples that `durationMs` spans at `sampleRateHz`, rounded to the nearest sample. */
export function samplesForDurationMs(durationMs: number, sampleRateHz: number): number {
  return Math.round((durationMs * sampleRateHz) / 1000);
}

/** Converts a float sample in [-1, 1] to Int16 with rounding and clipping. */
export function floatToInt16(value: number): number {
  const scaled = Math.round(value * 32768);
  return scaled > 32767 ? 32767 : scaled < -32768 ? -32768 : scaled;
}
