import { createClip } from "../audio/pcm.ts";
import { DEFAULT_VAD_OPTIONS, detectSpeech } from "../audio/vad.ts";
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

/** Audio the VAD looks at first: speech almost always starts within it, and it is cheap to scan. */
const FIRST_LOOK_MS = 500;

/**
 * Where the first speech starts in the concatenated audio (ms from its start), or undefined. The
 * VAD runs on the first half second (plus what a segment needs to close) and only on the whole reply
 * when that holds no speech: the end-of-turn analysis of hundreds of callers stays short.
 */
function firstSpeechOnsetMs(audio: readonly AudioEvent[], rate: number): number | undefined {
  const concatenate = (count: number): Int16Array => {
    const parts = audio.slice(0, count);
    const samples = new Int16Array(parts.reduce((sum, event) => sum + event.samples!.length, 0));
    let offset = 0;
    for (const event of parts) {
      samples.set(event.samples!, offset);
      offset += event.samples!.length;
    }
    return samples;
  };
  const lookSamples = (rate * (FIRST_LOOK_MS + DEFAULT_VAD_OPTIONS.minSilenceMs)) / 1000;
  let prefix = 0;
  for (let covered = 0; prefix < audio.length && covered < lookSamples; prefix++) {
    covered += audio[prefix]!.samples!.length;
  }
  if (prefix < audio.length) {
    const onset = detectSpeech(createClip(concatenate(prefix), rate))[0];
    // A segment that starts well before the prefix's end is found as it would be in the whole reply.
    if (onset && onset.startMs <= FIRST_LOOK_MS) return onset.startMs;
  }
  return detectSpeech(createClip(concatenate(audio.length), rate))[0]?.startMs;
}

/**
 * What a caller heard of the audio events among `events`: the playback timeline (underruns, dry
 * spells, when it ends) and when the first speech is heard (energy VAD on the decoded audio,
 * placed on that timeline). `pauses` stop the player (stop ... resume).
 *
 * @example
 * ```ts
 * import { analyzeReplyAudio } from "./reply-analysis.ts";
 * const chunk = { kind: "audio" as const, samples: new Int16Array(1600), sampleRateHz: 16000, durationMs: 100, byteLength: 3200 };
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
    playback && rate !== undefined && audio.every((event) => event.sampleRateHz === rate && event.samples)
  ) {
    const onsetMs = firstSpeechOnsetMs(audio, rate);
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
