/**
 * voxbench: load testing and latency benchmarks for real-time voice bots over WebSocket.
 *
 * @example
 * ```ts
 * import { bundledFixturesDir, loadAudioLibrary } from "voxbench";
 * const library = await loadAudioLibrary(bundledFixturesDir());
 * console.log(library.byRole("query").length);
 * ```
 * @module
 */
export { VERSION } from "./version.ts";
export { ExitCode } from "./common/exit-codes.ts";
export { UsageError } from "./common/errors.ts";
export { createRandom, type Random } from "./common/random.ts";
export { monotonicNowMs, toIsoTime } from "./common/clock.ts";
export { DeadlineScheduler } from "./common/deadline-scheduler.ts";

export { createClip, clipDurationMs, type PcmClip } from "./audio/pcm.ts";
export { silence, type SilenceOptions } from "./audio/silence.ts";
export { decodeWav, type DecodedWav, type WavInfo, type WavEncoding } from "./audio/wav-decode.ts";
export { encodeWavPcm16, encodeWavMuLaw } from "./audio/wav-encode.ts";
export { loadWavFile } from "./audio/load-file.ts";
export { AudioError } from "./audio/audio-error.ts";
export { resample } from "./audio/resample.ts";
export {
  encodeForWire,
  decodeWireAudio,
  wireFormatProblem,
  type EncodedAudio,
  type WireEncoding,
  type WireFormat,
} from "./audio/wire-format.ts";
export { frameAudio, DEFAULT_FRAME_MS } from "./audio/frames.ts";
export { paceFrames, sleepUntil, frameDeadlineMs, type PaceOptions, type PaceReport } from "./audio/pacer.ts";
export { detectSpeech, DEFAULT_VAD_OPTIONS, type SpeechSegment, type VadOptions } from "./audio/vad.ts";
export { rmsDbfs } from "./audio/energy.ts";
export { AudioAsset, AUDIO_ROLES, type AudioRole } from "./audio/asset.ts";
export {
  bundledFixturesDir,
  createLibrary,
  loadAudioLibrary,
  silenceLibrary,
  type AudioLibrary,
} from "./audio/library.ts";
export { inspectAudioFile, type AudioInspection } from "./audio/inspect.ts";
export { percentile, summarize, type Statistics } from "./metrics/percentiles.ts";
