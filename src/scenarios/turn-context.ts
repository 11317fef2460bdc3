import type { AudioAsset, AudioRole } from "../audio/asset.ts";
import type { AudioLibrary } from "../audio/library.ts";
import { sleepUntil } from "../audio/pacer.ts";
import { detectSpeech } from "../audio/vad.ts";
import { createClip } from "../audio/pcm.ts";
import { monotonicNowMs } from "../common/clock.ts";
import { callerScheduler } from "../common/deadline-scheduler.ts";
import type { Random } from "../common/random.ts";
import { TurnFailure, type FailureOutcome } from "../metrics/outcomes.ts";
import { roundMs, type TurnRecord } from "../metrics/turn-record.ts";
import type { SessionEvent } from "../protocol/client-adapter.ts";
import { playbackTimeOf, simulatePlayback, type PlaybackPause } from "../session/playback.ts";
import type { SendMarks, SendOptions, Session } from "../session/session.ts";

/** How a turn waits and judges (resolved from the run options). */
export interface TurnSettings {
  /** The scenario's timeout: every wait for the server ends this long after the speech_end it follows. */
  readonly timeoutMs: number;
  /** Without an end event, a reply has ended once no audio arrived for this long (never added to a measurement). */
  readonly idleMs: number;
  /** A mid-reply dry spell at least this long fails the turn with audio_gap (0 disables). */
  readonly maxGapMs: number;
  /** "auto": the server's end event once it has sent one on this connection, else the idle gap. */
  readonly replyEnd: "auto" | "done" | "idle";
}

/** What the load generator's own timing looked like (for generator health). */
export interface TurnTimingSink {
  /** How late speech_end left its deadline (the utterance's end). */
  speechSendLag(lagMs: number): void;
  /** speech_end: ws.send() called -> written to the socket. */
  sendOverhead(overheadMs: number): void;
}

/** One spoken utterance: when its speech_start and speech_end left (written to the socket). */
export interface Utterance {
  readonly asset: AudioAsset;
  readonly speechStartMs: number;
  readonly speechEndMs: number;
  /** Log cursor just before speech_end was sent: the reply's events come after it. */
  readonly cursor: number;
}

/** A logged event's time and position. */
export interface EventMark {
  readonly atMs: number;
  readonly cursor: number;
}

/** How a reply ended. */
export interface ReplyEnd {
  readonly lastAudio: EventMark;
  readonly reason: "done_event" | "idle_gap";
  /** Cursor just after the end (after the done event, or after the last audio). */
  readonly cursor: number;
}

/** The audio of a reply as the simulated caller heard it. */
export interface ReplyAnalysis {
  readonly chunks: number;
  /** Total audio, undefined when a chunk's format could not be decoded. */
  readonly audioMs: number | undefined;
  readonly underruns: number;
  readonly underrunMs: number;
  readonly longestGapMs: number;
  /** When the simulated player finishes the audio received so far. */
  readonly playbackEndMs: number | undefined;
  /** When the first speech (energy VAD) in the reply is heard; undefined without decodable speech. */
  readonly heardAtMs: number | undefined;
  readonly lastAudioMs: number | undefined;
}

/** A reply measured from the speech_end that asked for it. */
export interface MeasuredReply {
  readonly first: EventMark;
  readonly end: ReplyEnd;
  readonly analysis: ReplyAnalysis;
  readonly ttftMs: number;
  readonly totalMs: number;
  readonly heardMs: number | undefined;
}

/**
 * The turn API a scenario runs on: speak clips, wait for reply audio and its end, analyse what the
 * caller heard, and fill in `record`. All times are monotonic ms stamped in socket callbacks.
 */
export class TurnContext {
  /** Set by analyses: the turn is not over for the caller until the bot's audio has played out. */
  playbackEndMs = 0;
  private picks = 0;

  constructor(
    readonly session: Session,
    readonly record: TurnRecord,
    readonly random: Random,
    readonly library: AudioLibrary,
    readonly settings: TurnSettings,
    private readonly timing: TurnTimingSink,
    /** Cursor of the first event belonging to this turn. */
    readonly startCursor: number,
    /** Aborted when the run is stopped: every wait of the turn ends at once. */
    private readonly signal?: AbortSignal,
  ) {}

  /** The monotonic clock. */
  now(): number {
    return monotonicNowMs();
  }

  /** Picks a clip of `role` (seeded); the first pick is the turn's audio_file, the second its second_audio_file. */
  pick(role: AudioRole): AudioAsset {
    const asset = this.library.pick(role, this.random);
    if (this.picks === 0) this.record.audio_file = asset.name;
    else if (this.picks === 1) this.record.second_audio_file = asset.name;
    this.picks++;
    return asset;
  }

  /** Waits until an absolute monotonic time (ends the turn as cancelled if the run stops). */
  async sleepUntil(deadlineMs: number): Promise<void> {
    await sleepUntil(deadlineMs, callerScheduler, this.signal);
    this.throwIfCancelled();
  }

  private throwIfCancelled(): void {
    if (this.signal?.aborted) throw new TurnFailure("cancelled", "the run was interrupted before this turn finished");
  }

  /** Ends the turn now with a failure outcome. */
  fail(outcome: FailureOutcome, message: string): never {
    throw new TurnFailure(outcome, message);
  }

  /** Records a failure without ending the turn (the first one noted decides the outcome). */
  noteFailure(outcome: FailureOutcome, message: string): void {
    if (this.record.outcome !== "ok") return;
    this.record.outcome = outcome;
    this.record.error = message;
  }

  /** Bounds every send of the turn: written within the scenario's timeout, abandoned on Ctrl-C. */
  private sendOptions(): SendOptions {
    return { deadlineMs: this.now() + this.settings.timeoutMs, ...(this.signal ? { signal: this.signal } : {}) };
  }

  /**
   * Sends one frame of the session's protocol (for scenarios that speak beyond speech_start and
   * speech_end), bounded as every send of the turn is: it fails with write_timeout when the bot
   * stops reading, and with cancelled when the run is stopped.
   */
  send(frame: string): Promise<SendMarks> {
    return this.session.send(frame, this.sendOptions());
  }

  /** Sends speech_start; resolves with the time it was handed to the socket. */
  async startSpeaking(): Promise<number> {
    return (await this.session.speechStart(this.sendOptions())).sentMs;
  }

  /**
   * Speaks a clip the way a client with local VAD does: speech_start, then speech_end carrying the
   * whole utterance once it has been captured: the clip in whole microphone frames (the wire
   * format's frameMs), on an absolute deadline from speech_start.
   */
  async speak(asset: AudioAsset, options: { intent?: string; speechStartMs?: number } = {}): Promise<Utterance> {
    const speechStartMs = options.speechStartMs ?? (await this.startSpeaking());
    return this.finishSpeaking(asset, speechStartMs, options.intent);
  }

  /** Sends speech_end for a clip whose speech_start left at `speechStartMs`, once its last frame is captured. */
  async finishSpeaking(asset: AudioAsset, speechStartMs: number, intent?: string): Promise<Utterance> {
    const spokenMs = asset.encoded(this.session.wireFormat).durationMs;
    const lagMs = await sleepUntil(speechStartMs + spokenMs, callerScheduler, this.signal);
    this.throwIfCancelled();
    this.timing.speechSendLag(lagMs);
    const cursor = this.session.cursor;
    const marks = await this.session.speechEnd(asset, intent, this.sendOptions());
    this.timing.sendOverhead(marks.sentMs - marks.calledMs);
    this.record.send_overhead_ms ??= roundMs(marks.sentMs - marks.calledMs);
    return { asset, speechStartMs, speechEndMs: marks.sentMs, cursor };
  }

  /** Waits for an event matching `predicate` after `fromCursor`, until `deadlineMs`; undefined on the deadline. */
  async waitFor(predicate: (event: SessionEvent) => boolean, fromCursor: number, deadlineMs: number): Promise<(EventMark & { event: SessionEvent }) | undefined> {
    const logged = await this.session.waitFor(predicate, fromCursor, deadlineMs);
    return logged ? { atMs: logged.event.atMs, cursor: logged.cursor, event: logged.event } : undefined;
  }

  /** The first reply audio after an utterance; fails with timeout_first_audio or server_error. */
  async waitForFirstAudio(utterance: Utterance, fromCursor: number = utterance.cursor): Promise<EventMark> {
    const deadlineMs = utterance.speechEndMs + this.settings.timeoutMs;
    const found = await this.waitFor((event) => event.kind === "audio" || event.kind === "server_error", fromCursor, deadlineMs);
    if (!found) this.fail("timeout_first_audio", `no reply audio within ${this.settings.timeoutMs / 1000} s of speech_end`);
    if (found.event.kind === "server_error") this.fail("server_error", `server error: ${found.event.message}`);
    return { atMs: found.atMs, cursor: found.cursor };
  }

  /**
   * Waits for the end of a reply whose first chunk was `first`: the server's end event, or (when the
   * server sends none) the last chunk before an idle gap of `idleMs`. The gap is never part of any
   * measurement: the reply ends at its last chunk's arrival.
   */
  async waitForReplyEnd(utterance: Utterance, first: EventMark): Promise<ReplyEnd> {
    const deadlineMs = utterance.speechEndMs + this.settings.timeoutMs;
    let lastAudio = first;
    let cursor = first.cursor + 1;
    for (;;) {
      const useIdle = this.settings.replyEnd === "idle" || (this.settings.replyEnd === "auto" && !this.session.sawDoneEvent);
      const idleDeadlineMs = lastAudio.atMs + this.settings.idleMs;
      const waitUntilMs = useIdle ? Math.min(idleDeadlineMs, deadlineMs) : deadlineMs;
      const found = await this.waitFor((event) => event.kind === "audio" || event.kind === "done", cursor, waitUntilMs);
      if (!found) {
        if (useIdle && idleDeadlineMs <= deadlineMs) return { lastAudio, reason: "idle_gap", cursor };
        this.fail("timeout_reply_end", `the reply did not end within ${this.settings.timeoutMs / 1000} s of speech_end`);
      }
      if (found.event.kind === "done") return { lastAudio, reason: "done_event", cursor: found.cursor + 1 };
      lastAudio = { atMs: found.atMs, cursor: found.cursor };
      cursor = found.cursor + 1;
    }
  }

  /**
   * What the caller heard of the audio received in [fromCursor, toCursor): playback timeline,
   * underruns, and when the first speech was heard. `pauses` stop the player (stop ... resume).
   */
  analyzeReply(fromCursor: number, toCursor: number, pauses: readonly PlaybackPause[] = []): ReplyAnalysis {
    const audio = this.session.eventsSince(fromCursor, toCursor).filter((event): event is SessionEvent & { kind: "audio" } => event.kind === "audio");
    const decodable = audio.every((event) => event.durationMs !== undefined);
    const chunks = audio.map((event) => ({ arrivalMs: event.atMs, durationMs: event.durationMs ?? 0 }));
    const playback = decodable ? simulatePlayback(chunks, { pauses }) : undefined;
    let heardAtMs: number | undefined;
    const rate = audio[0]?.sampleRateHz;
    if (playback && rate !== undefined && audio.every((event) => event.sampleRateHz === rate && event.samples)) {
      const total = audio.reduce((sum, event) => sum + event.samples!.length, 0);
      const samples = new Int16Array(total);
      let offset = 0;
      for (const event of audio) {
        samples.set(event.samples!, offset);
        offset += event.samples!.length;
      }
      const onset = detectSpeech(createClip(samples, rate))[0];
      if (onset) heardAtMs = playbackTimeOf(chunks, playback, onset.startMs);
    }
    if (playback) this.playbackEndMs = Math.max(this.playbackEndMs, playback.endMs);
    return {
      chunks: audio.length,
      audioMs: playback?.audioMs,
      underruns: playback?.underruns ?? 0,
      underrunMs: playback?.underrunMs ?? 0,
      longestGapMs: playback?.longestGapMs ?? 0,
      playbackEndMs: playback?.endMs,
      heardAtMs,
      lastAudioMs: audio.at(-1)?.atMs,
    };
  }

  /** The standard measurement of one reply: first audio, end, and what the caller heard. */
  async measureReply(utterance: Utterance): Promise<MeasuredReply> {
    const first = await this.waitForFirstAudio(utterance);
    return this.measuredReply(utterance, first, await this.waitForReplyEnd(utterance, first));
  }

  private measuredReply(utterance: Utterance, first: EventMark, end: ReplyEnd): MeasuredReply {
    const analysis = this.analyzeReply(utterance.cursor, end.lastAudio.cursor + 1);
    return {
      first,
      end,
      analysis,
      ttftMs: first.atMs - utterance.speechEndMs,
      totalMs: end.lastAudio.atMs - utterance.speechEndMs,
      heardMs: analysis.heardAtMs === undefined ? undefined : analysis.heardAtMs - utterance.speechEndMs,
    };
  }

  /**
   * Measures the reply to `utterance` and records it as the turn's reply, keeping every value
   * measured before a failure: a reply that started and then broke off (the server closed, or it
   * never ended) still has its ttft_ms, and the audio that did arrive is analysed.
   */
  async measureAndRecordReply(utterance: Utterance): Promise<MeasuredReply> {
    const first = await this.waitForFirstAudio(utterance);
    this.record.ttft_ms = roundMs(first.atMs - utterance.speechEndMs);
    let end: ReplyEnd;
    try {
      end = await this.waitForReplyEnd(utterance, first);
    } catch (error) {
      const partial = this.analyzeReply(utterance.cursor, this.session.cursor);
      if (partial.heardAtMs !== undefined) this.record.heard_ms = roundMs(partial.heardAtMs - utterance.speechEndMs);
      this.recordReplyAudio(partial, undefined);
      throw error;
    }
    const reply = this.measuredReply(utterance, first, end);
    this.recordMeasuredReply(reply);
    return reply;
  }

  /** Records a measured reply as the turn's reply: ttft_ms, total_ms, heard_ms and its audio figures. */
  recordMeasuredReply(reply: MeasuredReply): void {
    this.record.ttft_ms = roundMs(reply.ttftMs);
    this.record.total_ms = roundMs(reply.totalMs);
    if (reply.heardMs !== undefined) this.record.heard_ms = roundMs(reply.heardMs);
    this.recordReplyAudio(reply.analysis, reply.end);
  }

  /** Copies a reply's audio figures into the record and applies the --max-gap-ms check. */
  recordReplyAudio(analysis: ReplyAnalysis, end: ReplyEnd | undefined): void {
    const record = this.record;
    record.reply_chunks = analysis.chunks;
    record.reply_audio_ms = analysis.audioMs === undefined ? null : roundMs(analysis.audioMs);
    if (analysis.audioMs !== undefined) {
      record.underruns = analysis.underruns;
      record.underrun_ms = roundMs(analysis.underrunMs);
      record.longest_gap_ms = roundMs(analysis.longestGapMs);
    }
    if (end) record.reply_end = end.reason;
    if (this.settings.maxGapMs > 0 && analysis.longestGapMs >= this.settings.maxGapMs) {
      this.noteFailure("audio_gap", `the reply's audio ran dry for ${analysis.longestGapMs.toFixed(0)} ms mid-reply`);
    }
  }

  /** Whether the bot is audibly talking at `atMs`: its audio is still playing, or still streaming in. */
  isTalking(utterance: Utterance, atMs: number): { talking: boolean; analysis: ReplyAnalysis } {
    const analysis = this.analyzeReply(utterance.cursor, this.session.cursor);
    const ended = this.session.eventsSince(utterance.cursor).some((event) => event.kind === "done");
    const playing = analysis.playbackEndMs !== undefined && analysis.playbackEndMs > atMs;
    const streaming = !ended && analysis.lastAudioMs !== undefined && atMs - analysis.lastAudioMs < this.settings.idleMs;
    return { talking: playing || streaming, analysis };
  }
}
