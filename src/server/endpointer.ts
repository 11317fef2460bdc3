import { rmsDbfs } from "../audio/energy.ts";
import { DEFAULT_VAD_OPTIONS } from "../audio/vad.ts";

/** How the reference bot decides, on a stream, that the caller started and stopped talking. */
export interface EndpointingOptions {
  /** Silence after speech that ends an utterance. */
  readonly endpointingMs: number;
  /** Speech must last this long (with gaps under 200 ms) to count: shorter sounds are noise (a cough, "mhmm"). */
  readonly minSpeechMs: number;
}

/** What the endpointer found. */
export interface EndpointerEvents {
  /** Speech has lasted `minSpeechMs`: the caller is talking (barge-in if the bot talks); it began at `audioStartMs` of the stream's audio. */
  speechStart(atMs: number, audioStartMs: number): void;
  /** `endpointingMs` of silence followed speech; `speechMs` from its first to its last active frame, which ended at `audioEndMs` of the stream. */
  speechEnd(utterance: { readonly speechMs: number; readonly audioEndMs: number }, atMs: number): void;
}

/** Gaps shorter than this do not end a sound that is not yet speech. */
const CANDIDATE_GAP_MS = 200;

/**
 * The reference bot's VAD on a caller's stream: frame energy with hysteresis (the thresholds of the
 * caller-side VAD), a minimum speech length below which a sound is noise, and an endpointing
 * silence after which the utterance has ended. Durations are on the stream's own audio clock (the
 * frames' lengths); events carry the wall time of the frame that decided them.
 *
 * @example
 * ```ts
 * import { Endpointer } from "./endpointer.ts";
 * const events: string[] = [];
 * const endpointer = new Endpointer({ endpointingMs: 100, minSpeechMs: 60 }, { speechStart: () => events.push("start"), speechEnd: ({ speechMs }) => events.push(`end ${speechMs}`) });
 * const loud = new Int16Array(160).map((_, i) => (i % 2 ? 8000 : -8000));
 * for (let i = 0; i < 5; i++) endpointer.push(loud, 8000, i * 20);
 * for (let i = 5; i < 12; i++) endpointer.push(new Int16Array(160), 8000, i * 20);
 * console.log(events); // ["start", "end 100"]
 * ```
 */
export class Endpointer {
  private audioMs = 0;
  private inSpeech = false;
  private candidateStartMs: number | undefined;
  private candidateActiveMs = 0;
  private candidateSilenceMs = 0;
  private speechStartMs = 0;
  private lastActiveEndMs = 0;
  private silenceMs = 0;

  constructor(
    private options: EndpointingOptions,
    private readonly events: EndpointerEvents,
  ) {}

  /** Changes the silence that ends an utterance (a caller's session.update), from the next frame on. */
  setEndpointingMs(endpointingMs: number): void {
    this.options = { ...this.options, endpointingMs };
  }

  /** One frame of the caller's audio, received at `atMs`. */
  push(samples: Int16Array, sampleRateHz: number, atMs: number): void {
    const frameMs = (samples.length / sampleRateHz) * 1000;
    const level = rmsDbfs(samples);
    const frameStartMs = this.audioMs;
    this.audioMs += frameMs;
    if (this.inSpeech) {
      if (level >= DEFAULT_VAD_OPTIONS.offThresholdDbfs) {
        this.lastActiveEndMs = this.audioMs;
        this.silenceMs = 0;
        return;
      }
      this.silenceMs += frameMs;
      if (this.silenceMs >= this.options.endpointingMs) {
        this.inSpeech = false;
        this.silenceMs = 0;
        this.events.speechEnd({
          speechMs: this.lastActiveEndMs - this.speechStartMs,
          audioEndMs: this.lastActiveEndMs,
        }, atMs);
      }
      return;
    }
    const threshold = this.candidateStartMs === undefined
      ? DEFAULT_VAD_OPTIONS.onThresholdDbfs
      : DEFAULT_VAD_OPTIONS.offThresholdDbfs;
    if (level >= threshold) {
      this.candidateStartMs ??= frameStartMs;
      this.candidateActiveMs += frameMs;
      this.candidateSilenceMs = 0;
      if (this.candidateActiveMs >= this.options.minSpeechMs) {
        this.inSpeech = true;
        this.speechStartMs = this.candidateStartMs;
        this.lastActiveEndMs = this.audioMs;
        this.silenceMs = 0;
        this.candidateStartMs = undefined;
        this.candidateActiveMs = 0;
        this.events.speechStart(atMs, this.speechStartMs);
      }
      return;
    }
    if (this.candidateStartMs === undefined) return;
    this.candidateSilenceMs += frameMs;
    if (this.candidateSilenceMs >= CANDIDATE_GAP_MS) {
      this.candidateStartMs = undefined;
      this.candidateActiveMs = 0;
      this.candidateSilenceMs = 0;
    }
  }
}
