import { bytesPerSample, type EncodedAudio, frameProblem, samplesPerFrame } from "./wire-format.ts";

/** Default frame length: what Twilio and most WebRTC stacks send. */
export const DEFAULT_FRAME_MS = 20;

/**
 * Splits encoded audio into frames of `frameMs` (the last may be shorter). Frames are views into
 * the shared bytes, never copies, so hundreds of callers can stream the same clip.
 *
 * @example
 * ```ts
 * import { frameAudio } from "./frames.ts";
 * const audio = { format: { encoding: "mulaw" as const, sampleRateHz: 8000 }, bytes: new Uint8Array(400), durationMs: 50 };
 * console.log(frameAudio(audio, 20).map((frame) => frame.length)); // [160, 160, 80]
 * ```
 */
export function frameAudio(audio: EncodedAudio, frameMs: number = DEFAULT_FRAME_MS): Uint8Array[] {
  const frameBytes = frameByteLength(audio, frameMs);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < audio.bytes.length; offset += frameBytes) {
    frames.push(audio.bytes.subarray(offset, Math.min(offset + frameBytes, audio.bytes.length)));
  }
  return frames;
}

/** Bytes in one whole frame; throws when `frameMs` does not hold a whole number of samples. */
export function frameByteLength(audio: EncodedAudio, frameMs: number): number {
  const problem = frameProblem(frameMs, audio.format.sampleRateHz);
  if (problem) throw new RangeError(problem);
  return samplesPerFrame(frameMs, audio.format.sampleRateHz) * bytesPerSample(audio.format.encoding);
}
