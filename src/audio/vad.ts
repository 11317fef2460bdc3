import { rmsDbfs } from "./energy.ts";
import type { PcmClip } from "./pcm.ts";

/** Tuning of the energy voice-activity detector. */
export interface VadOptions {
  /** Analysis frame length. Default 10 ms. */
  frameMs?: number;
  /** A frame at or above this level starts speech. Default -40 dBFS. */
  onThresholdDbfs?: number;
  /** Speech continues while frames stay at or above this level (hysteresis). Default -50 dBFS. */
  offThresholdDbfs?: number;
  /** Shorter active runs are clicks, not speech. Default 60 ms. */
  minSpeechMs?: number;
  /** Pauses shorter than this stay inside one segment. Default 200 ms. */
  minSilenceMs?: number;
}

/** A span of speech within a clip, in ms from its start. */
export interface SpeechSegment {
  readonly startMs: number;
  readonly endMs: number;
}

/** The detector's defaults, exported so reports can state them. */
export const DEFAULT_VAD_OPTIONS: Readonly<Required<VadOptions>> = {
  frameMs: 10,
  onThresholdDbfs: -40,
  offThresholdDbfs: -50,
  minSpeechMs: 60,
  minSilenceMs: 200,
};

/**
 * The energy of consecutive pieces of audio, cut into analysis frames: per piece its frame levels
 * (dBFS; a piece's last frame may be shorter) and its length. A clip is one piece; a reply is
 * the pieces (chunks) it arrived in, each reduced to its levels on arrival so its samples need not
 * be kept. Frame times follow from the sample counts, so a reply whose chunks hold whole frames
 * reads exactly as the same audio in one piece.
 */
export interface FrameLevels {
  readonly levelsDbfs: readonly number[];
  /** Samples per frame (the last frame of the piece may hold fewer). */
  readonly frameSamples: number;
  readonly sampleCount: number;
  readonly sampleRateHz: number;
}

/**
 * Finds speech in a clip from frame energy: a frame at or above the on-threshold opens a segment,
 * which stays open while frames remain above the lower off-threshold and closes after
 * `minSilenceMs` below it. Onsets are backdated to the first frame of the rising run above the
 * off-threshold, and offsets to the end of the last such frame, so segment times mark where the
 * sound really starts and stops, not where the detector became sure.
 *
 * @example
 * ```ts
 * import { detectSpeech } from "./vad.ts";
 * import { createClip } from "./pcm.ts";
 * const samples = new Int16Array(16000); // 1 s at 16 kHz
 * for (let i = 4000; i < 12000; i++) samples[i] = Math.round(8000 * Math.sin(i / 5));
 * console.log(detectSpeech(createClip(samples, 16000))); // [{ startMs: 250, endMs: 750 }]
 * ```
 */
export function detectSpeech(clip: PcmClip, options: VadOptions = {}): SpeechSegment[] {
  const frameMs = options.frameMs ?? DEFAULT_VAD_OPTIONS.frameMs;
  return detectSpeechInLevels([frameLevels(clip.samples, clip.sampleRateHz, frameMs)], options);
}

/**
 * {@link detectSpeech} on audio already reduced to frame levels, in pieces played one after
 * another (all at one sample rate). `options.frameMs` is the one the levels were measured with.
 *
 * @example
 * ```ts
 * import { detectSpeechInLevels, frameLevels } from "./vad.ts";
 * const quiet = new Int16Array(3200);
 * const loud = new Int16Array(8000).map((_, i) => Math.round(8000 * Math.sin(i / 5)));
 * const pieces = [quiet, loud, quiet].map((samples) => frameLevels(samples, 16000));
 * console.log(detectSpeechInLevels(pieces)); // [{ startMs: 200, endMs: 700 }]
 * ```
 */
export function detectSpeechInLevels(
  pieces: readonly FrameLevels[],
  options: VadOptions = {},
): SpeechSegment[] {
  const settings = { ...DEFAULT_VAD_OPTIONS, ...options };
  const rate = pieces[0]?.sampleRateHz ?? 1;
  const count = pieces.reduce((sum, piece) => sum + piece.levelsDbfs.length, 0);
  const levels = new Float64Array(count);
  // Where each frame starts and ends, in samples from the start of the first piece.
  const startSamples = new Float64Array(count);
  const endSamples = new Float64Array(count);
  let index = 0;
  let offset = 0;
  for (const piece of pieces) {
    for (let frame = 0; frame < piece.levelsDbfs.length; frame++, index++) {
      levels[index] = piece.levelsDbfs[frame]!;
      startSamples[index] = offset + frame * piece.frameSamples;
      endSamples[index] = offset + Math.min(piece.sampleCount, (frame + 1) * piece.frameSamples);
    }
    offset += piece.sampleCount;
  }
  const frameStartMs = (frame: number): number => (startSamples[frame]! * 1000) / rate;
  const frameEndMs = (frame: number): number => (endSamples[frame]! * 1000) / rate;
  const segments: SpeechSegment[] = [];
  let openStartIndex = -1;
  let lastActiveIndex = -1;
  let previousEndIndex = -1;

  const close = (): void => {
    const startMs = frameStartMs(openStartIndex);
    const endMs = frameEndMs(lastActiveIndex);
    if (endMs - startMs >= settings.minSpeechMs) segments.push({ startMs, endMs });
    previousEndIndex = lastActiveIndex;
    openStartIndex = -1;
  };

  for (let frame = 0; frame < count; frame++) {
    const level = levels[frame]!;
    if (openStartIndex < 0) {
      if (level >= settings.onThresholdDbfs) {
        let start = frame;
        while (start - 1 > previousEndIndex && levels[start - 1]! >= settings.offThresholdDbfs) start--;
        openStartIndex = start;
        lastActiveIndex = frame;
      }
      continue;
    }
    if (level >= settings.offThresholdDbfs) {
      lastActiveIndex = frame;
    } else if (frameEndMs(frame) - frameEndMs(lastActiveIndex) >= settings.minSilenceMs) {
      close();
    }
  }
  if (openStartIndex >= 0) close();
  return segments;
}

/**
 * The RMS level in dBFS of each `frameMs` frame of `samples` (the last frame may be shorter).
 *
 * @example
 * ```ts
 * import { frameLevels } from "./vad.ts";
 * console.log(frameLevels(new Int16Array(400), 16000).levelsDbfs); // [-120, -120, -120]
 * ```
 */
export function frameLevels(
  samples: Int16Array,
  sampleRateHz: number,
  frameMs: number = DEFAULT_VAD_OPTIONS.frameMs,
): FrameLevels {
  const frameSamples = Math.max(1, Math.round((sampleRateHz * frameMs) / 1000));
  const count = Math.ceil(samples.length / frameSamples);
  // A plain array: a small Float64Array costs a separate allocation, and this runs per reply chunk.
  const levelsDbfs: number[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const start = index * frameSamples;
    levelsDbfs[index] = rmsDbfs(samples, start, Math.min(start + frameSamples, samples.length));
  }
  return { levelsDbfs, frameSamples, sampleCount: samples.length, sampleRateHz };
}

/** Total speech in a list of segments, in ms. */
export function speechDurationMs(segments: readonly SpeechSegment[]): number {
  return segments.reduce((total, segment) => total + segment.endMs - segment.startMs, 0);
}
