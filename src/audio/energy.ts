/**
 * Signal level in dBFS, the unit the VAD thresholds and `voxbench audio` use.
 * 0 dBFS is an RMS equal to full scale (32768); a full-scale sine therefore reads -3.01 dBFS.
 * Digital silence reads {@link SILENCE_FLOOR_DBFS} rather than -Infinity so it stays printable
 * and JSON-safe.
 *
 * @example
 * ```ts
 * import { rmsDbfs } from "./energy.ts";
 * console.log(rmsDbfs(new Int16Array([16384, -16384]))); // ≈ -6.02
 * ```
 */
export const SILENCE_FLOOR_DBFS = -120;

/** RMS level of `samples[start, end)` in dBFS, floored at {@link SILENCE_FLOOR_DBFS}. */
export function rmsDbfs(samples: Int16Array, start = 0, end = samples.length): number {
  const count = end - start;
  if (count <= 0) return SILENCE_FLOOR_DBFS;
  let sumOfSquares = 0;
  for (let i = start; i < end; i++) {
    const sample = samples[i]!;
    sumOfSquares += sample * sample;
  }
  return amplitudeToDbfs(Math.sqrt(sumOfSquares / count) / 32768);
}

/** Converts a linear amplitude relative to full scale to dBFS, floored. */
export function amplitudeToDbfs(amplitude: number): number {
  if (amplitude <= 0) return SILENCE_FLOOR_DBFS;
  return Math.max(SILENCE_FLOOR_DBFS, 20 * Math.log10(amplitude));
}

/** Converts dBFS to a linear amplitude relative to full scale. */
export function dbfsToAmplitude(dbfs: number): number {
  return 10 ** (dbfs / 20);
}
