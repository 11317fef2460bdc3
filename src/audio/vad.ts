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
  const settings = { ...DEFAULT_VAD_OPTIONS, ...options };
  const levels = frameLevelsDbfs(clip, settings.frameMs);
  const frameStartMs = (index: number): number => index * settings.frameMs;
  const totalMs = (clip.samples.length * 1000) / clip.sampleRateHz;
  const frameEndMs = (index: number): number => Math.min(totalMs, (index + 1) * settings.frameMs);
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

  for (let index = 0; index < levels.length; index++) {
    const level = levels[index]!;
    if (openStartIndex < 0) {
      if (level >= settings.onThresholdDbfs) {
        let start = index;
        while (start - 1 > previousEndIndex && levels[start - 1]! >= settings.offThresholdDbfs) start--;
        openStartIndex = start;
        lastActiveIndex = index;
      }
      continue;
    }
    if (level >= settings.offThresholdDbfs) {
      lastActiveIndex = index;
    } else if (frameEndMs(index) - frameEndMs(lastActiveIndex) >= settings.minSilenceMs) {
      close();
    }
  }
  if (openStartIndex >= 0) close();
  return segments;
}

/** Per-frame RMS levels in dBFS (the last frame may be shorter). */
export function frameLevelsDbfs(clip: PcmClip, frameMs: number): Float64Array {
  const frameSamples = Math.max(1, Math.round((clip.sampleRateHz * frameMs) / 1000));
  const count = Math.ceil(clip.samples.length / frameSamples);
  const levels = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const start = index * frameSamples;
    levels[index] = rmsDbfs(clip.samples, start, Math.min(start + frameSamples, clip.samples.length));
  }
  return levels;
}

/** Total speech in a list of segments, in ms. */
export function speechDurationMs(segments: readonly SpeechSegment[]): number {
  return segments.reduce((total, segment) => total + segment.endMs - segment.startMs, 0);
}
