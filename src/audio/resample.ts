import { createClip, floatToInt16, type PcmClip } from "./pcm.ts";

/**
 * Band-limited resampling (windowed-sinc interpolation with a Kaiser window), so a 44.1 kHz or
 * 48 kHz recording reaches an 8/16/24 kHz bot without aliasing, and a tone keeps its frequency and
 * level (within 0.1 dB in the passband).
 */

/** Zero crossings of the sinc on each side, at the lower of the two rates. */
const ZERO_CROSSINGS = 24;
/** Cutoff as a fraction of the lower Nyquist frequency: keeps the transition band below it. */
const ROLLOFF = 0.92;
const KAISER_BETA = 8.6;
/** Kernel table resolution, in entries per input sample. */
const TABLE_PHASES = 512;

interface Kernel {
  readonly radius: number;
  readonly table: Float64Array;
}

const kernelCache = new Map<string, Kernel>();

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const quarterSquare = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

/** Kernel h(d) sampled every 1/TABLE_PHASES input samples, d >= 0 (it is symmetric). */
function kernelFor(inputRateHz: number, outputRateHz: number): Kernel {
  const key = `${inputRateHz}:${outputRateHz}`;
  const cached = kernelCache.get(key);
  if (cached) return cached;
  const scale = Math.min(1, outputRateHz / inputRateHz);
  const cutoff = scale * ROLLOFF;
  const radius = ZERO_CROSSINGS / scale;
  const size = Math.ceil(radius * TABLE_PHASES) + 2;
  const table = new Float64Array(size);
  const i0Beta = besselI0(KAISER_BETA);
  for (let i = 0; i < size; i++) {
    const distance = i / TABLE_PHASES;
    if (distance >= radius) break;
    const x = cutoff * distance;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const ratio = distance / radius;
    const window = besselI0(KAISER_BETA * Math.sqrt(1 - ratio * ratio)) / i0Beta;
    table[i] = cutoff * sinc * window;
  }
  const kernel = { radius, table };
  kernelCache.set(key, kernel);
  return kernel;
}

/**
 * Resamples a clip to `targetRateHz`. Returns the same clip when the rate already matches (no copy).
 *
 * @example
 * ```ts
 * import { resample } from "./resample.ts";
 * import { createClip } from "./pcm.ts";
 * const clip = createClip(new Int16Array(48000), 48000);
 * console.log(resample(clip, 16000).samples.length); // 16000
 * ```
 */
export function resample(clip: PcmClip, targetRateHz: number): PcmClip {
  const inputRateHz = clip.sampleRateHz;
  if (targetRateHz === inputRateHz) return clip;
  if (!Number.isInteger(targetRateHz) || targetRateHz <= 0) {
    throw new RangeError(`target sample rate must be a positive integer, got ${targetRateHz}`);
  }
  const input = clip.samples;
  const { radius, table } = kernelFor(inputRateHz, targetRateHz);
  const outputLength = Math.round((input.length * targetRateHz) / inputRateHz);
  const output = new Int16Array(outputLength);
  const lastIndex = input.length - 1;
  for (let n = 0; n < outputLength; n++) {
    // Exact rational position of output sample n on the input's sample grid (no accumulated drift).
    const numerator = n * inputRateHz;
    const center = Math.floor(numerator / targetRateHz);
    const fraction = (numerator - center * targetRateHz) / targetRateHz;
    const position = center + fraction;
    const first = Math.max(0, Math.ceil(position - radius));
    const last = Math.min(lastIndex, Math.floor(position + radius));
    let sum = 0;
    for (let k = first; k <= last; k++) {
      const tablePosition = Math.abs(position - k) * TABLE_PHASES;
      const index = Math.floor(tablePosition);
      const weight = tablePosition - index;
      const tap = table[index]! + (table[index + 1]! - table[index]!) * weight;
      sum += input[k]! * tap;
    }
    output[n] = floatToInt16(sum / 32768);
  }
  return createClip(output, targetRateHz);
}
