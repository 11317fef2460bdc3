import { detectSpeechInLevels, type FrameLevels } from "../audio/vad.ts";
import type { SessionEvent } from "../protocols/adapter.ts";
import { type PlaybackPause, type PlaybackResult, playbackTimeOf, simulatePlayback } from "./playback.ts";

/** The audio of a reply as the simulated caller heard it. */
export interface ReplyAnalysis {
  readonly chunks: number;
  /** Total audio, undefined when a chunk's format could not be decoded. */
  readonly audioMs: number | undefined;
  readonly underruns: number;
  readonly underrunMs: number;
  readonly longestGapMs: number;
  /** The dry spells mid-reply (see PlaybackResult.gaps). */
  readonly gaps: PlaybackResult["gaps"];
  /** When the simulated player finishes the audio received so far. */
  readonly playbackEndMs: number | undefined;
  /** When the first speech (energy VAD) in the reply is heard; undefined without decodable speech. */
  readonly heardAtMs: number | undefined;
  readonly lastAudioMs: number | undefined;
}

type AudioEvent = SessionEvent & { kind: "audio" };

/**
 * What a caller heard of the audio events among `events`: the playback timeline (underruns, dry
 * spells, when it ends) and when the first speech is heard (energy VAD on the chunks' frame
 * levels, placed on that timeline). `pauses` stop the player (stop ... resume).
 *
 * @example
 * ```ts
 * import { analyzeReplyAudio } from "./reply-analysis.ts";
 * import { frameLevels } from "../audio/vad.ts";
 * const levels = frameLevels(new Int16Array(1600), 16000);
 * const chunk = { kind: "audio" as const, levels, sampleRateHz: 16000, durationMs: 100, byteLength: 3200 };
 * const analysis = analyzeReplyAudio([{ ...chunk, atMs: 0 }, { ...chunk, atMs: 150 }]);
 * console.log(analysis.chunks, analysis.underruns, analysis.playbackEndMs); // 2 1 250
 * ```
 */
export function analyzeReplyAudio(
  events: readonly SessionEvent[],
  pauses: readonly PlaybackPause[] = [],
): ReplyAnalysis {
  const audio = events.filter((event): event is AudioEvent => event.kind === "audio");
  const decodable = audio.every((event) => event.durationMs !== undefined);
  const chunks = audio.map((event) => ({ arrivalMs: event.atMs, durationMs: event.durationMs ?? 0 }));
  const playback = decodable ? simulatePlayback(chunks, { pauses }) : undefined;
  let heardAtMs: number | undefined;
  const rate = audio[0]?.sampleRateHz;
  if (
    playback && rate !== undefined && audio.every((event) => event.sampleRateHz === rate && event.levels)
  ) {
    const onsetMs = detectSpeechInLevels(audio.map((event) => event.levels as FrameLevels))[0]?.startMs;
    if (onsetMs !== undefined) heardAtMs = playbackTimeOf(chunks, playback, onsetMs);
  }
  return {
    chunks: audio.length,
    audioMs: playback?.audioMs,
    underruns: playback?.underruns ?? 0,
    underrunMs: playback?.underrunMs ?? 0,
    longestGapMs: playback?.longestGapMs ?? 0,
    gaps: playback?.gaps ?? [],
    playbackEndMs: playback?.endMs,
    heardAtMs,
    lastAudioMs: audio.at(-1)?.atMs,
  };
}
