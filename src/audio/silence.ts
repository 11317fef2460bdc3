import { createRandom } from "../common/random.ts";
import { dbfsToAmplitude } from "./energy.ts";
import { createClip, floatToInt16, type PcmClip, samplesForDurationMs } from "./pcm.ts";

/** Options for {@link silence}. */
export interface SilenceOptions {
  /** Default 16000. */
  sampleRateHz?: number;
  /** Add white noise at this RMS level (e.g. -60) instead of digital zeros. */
  noiseDbfs?: number;
  /** Seed for the noise, so it is reproducible. Default 1. */
  seed?: number;
}

/**
 * A clip of silence: load_test.py's zeros, or low-level white noise (some bots' VADs treat
 * exact zeros as a dropped line).
 *
 * @example
 * ```ts
 * import { silence } from "./silence.ts";
 * const clip = silence(2000, { sampleRateHz: 16000 });
 * console.log(clip.samples.length); // 32000
 * ```
 */
export function silence(durationMs: number, options: SilenceOptions = {}): PcmClip {
  const sampleRateHz = options.sampleRateHz ?? 16000;
  if (!(durationMs >= 0) || !Number.isFinite(durationMs)) {
    throw new RangeError(`silence duration must be a non-negative number of ms, got ${durationMs}`);
  }
  const samples = new Int16Array(samplesForDurationMs(durationMs, sampleRateHz));
  if (options.noiseDbfs !== undefined) {
    const random = createRandom(options.seed ?? 1);
    // Uniform noise in [-a, a] has RMS a/sqrt(3).
    const peak = dbfsToAmplitude(options.noiseDbfs) * Math.sqrt(3);
    for (let i = 0; i < samples.length; i++) samples[i] = floatToInt16(peak * (2 * random.next() - 1));
  }
  return createClip(samples, sampleRateHz);
}
