import type { AudioAsset, AudioRole } from "../audio/asset.ts";
import type { AudioLibrary } from "../audio/library.ts";
import { sleepUntil } from "../audio/pacer.ts";
import { type MonotonicClock, monotonicNowMs } from "../common/clock.ts";
import { callerScheduler, type Scheduler } from "../common/deadline-scheduler.ts";
import type { Random } from "../common/random.ts";
import { type FailureOutcome, TurnFailure } from "../metrics/outcomes.ts";
import { roundMs, type TurnRecord } from "../metrics/turn-record.ts";
import type { SessionEvent, WireFrame } from "../protocols/adapter.ts";
import type { PlaybackPause } from "../session/playback.ts";
import { analyzeReplyAudio, type ReplyAnalysis } from "../session/reply-analysis.ts";
import { type SendMarks, type Session, SessionError } from "../session/session.ts";
import type { Speaking, SpokenUtterance } from "../session/voice.ts";
import { type EventMark, followAudio } from "./follow-audio.ts";

export type { EventMark } from "./follow-audio.ts";
export type { ReplyAnalysis } from "../session/reply-analysis.ts";

/** How a turn waits and judges (resolved from the run options). */
export interface TurnSettings {
  /** The scenario's timeout: every wait for the bot ends this long after the end of speech it follows. */
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
  /** How late an utterance's end of speech left its deadline. */
  speechSendLag(lagMs: number): void;
  /** The end-of-speech frame: ws.send() called -> written to the socket. */
  sendOverhead(overheadMs: number): void;
  /** How long the generator itself was stalled within [fromMs, toMs] (0 when nothing watches it). */
  stalledMs?(fromMs: number, toMs: number): number;
}

/** One spoken utterance: when its speech onset and its end of speech left (written to the socket). */
export type Utterance = Pick<
  SpokenUtterance,
  "asset" | "speechStartMs" | "speechEndMs" | "cursor" | "onsetFrameNumber" | "endFrameNumber"
>;

/** How a reply ended. */
export interface ReplyEnd {
  readonly lastAudio: EventMark;
  readonly reason: "done_event" | "idle_gap";
  /** Cursor just after the end (after the done event, or after the last audio). */
  readonly cursor: number;
}

/** A reply measured from the end of speech that asked for it. */
export interface MeasuredReply {
  readonly first: EventMark;
  readonly end: ReplyEnd;
  readonly analysis: ReplyAnalysis;
  readonly ttftMs: number;
  readonly totalMs: number;
  readonly heardMs: number | undefined;
}

/** Everything a turn runs on. */
export interface TurnContextOptions {
  readonly session: Session;
  readonly record: TurnRecord;
  readonly random: Random;
  readonly library: AudioLibrary;
  readonly settings: TurnSettings;
  readonly timing: TurnTimingSink;
  /** Cursor of the first event belonging to this turn. Default: the session's cursor now. */
  readonly startCursor?: number;
  /** Aborted when the run is stopped: every wait of the turn ends at once. */
  readonly signal?: AbortSignal;
  /** Default: the process's monotonic clock. */
  readonly clock?: MonotonicClock;
  /** Default: the callers' shared scheduler. */
  readonly scheduler?: Scheduler;
}

const FAILURE_BY_REASON: Readonly<Record<SessionError["reason"], FailureOutcome>> = {
  closed: "closed_by_server",
  write_timeout: "write_timeout",
  cancelled: "cancelled",
};

/** A session's failure as the turn's outcome; any other error as it is. */
export function asTurnFailure(error: unknown): unknown {
  return error instanceof SessionError
    ? new TurnFailure(FAILURE_BY_REASON[error.reason], error.message)
    : error;
}

/**
 * The turn API a scenario runs on: speak clips, wait for reply audio and its end, analyse what the
 * caller heard, and fill in `record`. All times are monotonic ms stamped in socket callbacks; the
 * clock and scheduler are injected, so a turn can run on a fake clock.
 */
export class TurnContext {
  readonly session: Session;
  readonly record: TurnRecord;
  readonly random: Random;
  readonly library: AudioLibrary;
  readonly settings: TurnSettings;
  /** Cursor of the first event belonging to this turn. */
  readonly startCursor: number;
  /** Set by analyses: the turn is not over for the caller until the bot's audio has played out. */
  playbackEndMs = 0;
  /** The turn's first utterance once its end of speech has left (what endpoint_ms counts from). */
  firstUtterance: SpokenUtterance | undefined;
  private picks = 0;
  private readonly timing: TurnTimingSink;
  private readonly signal: AbortSignal | undefined;
  private readonly clock: MonotonicClock;
  private readonly scheduler: Scheduler;

  constructor(options: TurnContextOptions) {
    this.session = options.session;
    this.record = options.record;
    this.random = options.random;
    this.library = options.library;
    this.settings = options.settings;
    this.timing = options.timing;
    this.startCursor = options.startCursor ?? options.session.cursor;
    this.signal = options.signal;
    this.clock = options.clock ?? monotonicNowMs;
    this.scheduler = options.scheduler ?? callerScheduler;
  }

  /** The monotonic clock. */
  now(): number {
    return this.clock();
  }

  /** Whether the protocol streams real-time audio (the bot's VAD ends utterances) rather than sending whole utterances. */
  get streaming(): boolean {
    return this.session.protocol.transport === "stream";
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
    await sleepUntil(deadlineMs, this.scheduler, this.signal);
    this.throwIfCancelled();
  }

  private throwIfCancelled(): void {
    if (this.signal?.aborted) {
      throw new TurnFailure("cancelled", "the run was interrupted before this turn finished");
    }
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

  /**
   * Sends one frame of the session's protocol (for scenarios that speak beyond utterances),
   * bounded as every send of the turn is: it fails with write_timeout when the bot stops reading,
   * and with cancelled when the run is stopped.
   */
  async send(frame: WireFrame): Promise<SendMarks> {
    try {
      return await this.session.send(frame, {
        deadlineMs: this.now() + this.settings.timeoutMs,
        ...(this.signal ? { signal: this.signal } : {}),
      });
    } catch (error) {
      throw asTurnFailure(error);
    }
  }

  /**
   * Starts speaking a clip the way the protocol's caller does (whole utterances after local VAD,
   * or real-time frames of the call's stream); `onset` resolves when the speech onset left, `done`
   * when the end of speech did. Use it to watch the bot while the caller is still talking.
   */
  beginSpeaking(asset: AudioAsset, options: { intent?: string } = {}): Speaking {
    const speaking = this.session.voice.speak(asset, {
      writeTimeoutMs: this.settings.timeoutMs,
      ...(options.intent !== undefined ? { intent: options.intent } : {}),
      ...(this.signal ? { signal: this.signal } : {}),
    });
    const done = speaking.done.then((spoken) => {
      this.timing.speechSendLag(spoken.endLagMs);
      this.timing.sendOverhead(spoken.sendOverheadMs);
      this.record.send_overhead_ms ??= roundMs(spoken.sendOverheadMs);
      if (spoken.endFrameNumber !== undefined) this.record.speech_end_chunk ??= spoken.endFrameNumber;
      this.firstUtterance ??= spoken;
      return spoken;
    });
    done.catch(() => {});
    return {
      onset: speaking.onset.catch((error: unknown) => Promise.reject(asTurnFailure(error))),
      done: done.catch((error: unknown) => Promise.reject(asTurnFailure(error))),
    };
  }

  /** Speaks a clip and resolves once its end of speech has left. */
  async speak(asset: AudioAsset, options: { intent?: string } = {}): Promise<Utterance> {
    return await this.beginSpeaking(asset, options).done;
  }

  /** Waits for an event matching `predicate` after `fromCursor`, until `deadlineMs`; undefined on the deadline. */
  async waitFor(
    predicate: (event: SessionEvent) => boolean,
    fromCursor: number,
    deadlineMs: number,
  ): Promise<(EventMark & { event: SessionEvent }) | undefined> {
    try {
      const logged = await this.session.waitFor(predicate, fromCursor, deadlineMs);
      return logged ? { atMs: logged.event.atMs, cursor: logged.cursor, event: logged.event } : undefined;
    } catch (error) {
      throw asTurnFailure(error);
    }
  }

  /** Follows the bot's audio until an event `until` accepts, an idle gap, or the deadline (see followAudio). */
  async followAudio(options: Parameters<typeof followAudio>[1]): ReturnType<typeof followAudio> {
    try {
      return await followAudio(this.session, options);
    } catch (error) {
      throw asTurnFailure(error);
    }
  }

  /**
   * The first reply audio after an utterance; fails with timeout_first_audio, server_error, or at
   * once with protocol_error when the bot speaks another protocol (its audio could never be read).
   */
  async waitForFirstAudio(utterance: Utterance, fromCursor: number = utterance.cursor): Promise<EventMark> {
    const deadlineMs = utterance.speechEndMs + this.settings.timeoutMs;
    const found = await this.waitFor(
      (event) =>
        event.kind === "audio" || event.kind === "server_error" ||
        (event.kind === "protocol_error" && event.wrongProtocol === true),
      fromCursor,
      deadlineMs,
    );
    if (!found) {
      this.fail(
        "timeout_first_audio",
        `no reply audio within ${this.settings.timeoutMs / 1000} s of the end of speech`,
      );
    }
    if (found.event.kind === "server_error") {
      this.fail("server_error", `server error: ${found.event.message}`);
    }
    if (found.event.kind === "protocol_error") this.fail("protocol_error", found.event.message);
    return { atMs: found.atMs, cursor: found.cursor };
  }

  /** Whether a reply's end is found by the idle gap (rather than the bot's end event) on this connection. */
  private get endsByIdleGap(): boolean {
    return this.settings.replyEnd === "idle" ||
      (this.settings.replyEnd === "auto" && !this.session.sawDoneEvent);
  }

  /**
   * Waits for the end of a reply whose first chunk was `first`: the bot's end event, or (when it
   * sends none) the last chunk before an idle gap of `idleMs`. The gap is never part of any
   * measurement: the reply ends at its last chunk's arrival.
   */
  async waitForReplyEnd(utterance: Utterance, first: EventMark): Promise<ReplyEnd> {
    const followed = await this.followAudio({
      fromCursor: first.cursor + 1,
      lastAudio: first,
      quietSinceMs: first.atMs,
      idleMs: this.endsByIdleGap ? this.settings.idleMs : undefined,
      deadlineMs: utterance.speechEndMs + this.settings.timeoutMs,
      until: (event) => event.kind === "done",
    });
    const lastAudio = followed.lastAudio ?? first;
    if (followed.end === "event") {
      return { lastAudio, reason: "done_event", cursor: followed.mark.cursor + 1 };
    }
    if (followed.end === "idle") return { lastAudio, reason: "idle_gap", cursor: followed.cursor };
    return this.fail(
      "timeout_reply_end",
      `the reply did not end within ${this.settings.timeoutMs / 1000} s of the end of speech`,
    );
  }

  /**
   * What the caller heard of the audio received in [fromCursor, toCursor): playback timeline,
   * underruns, and when the first speech was heard. `pauses` stop the player (stop ... resume).
   */
  analyzeReply(fromCursor: number, toCursor: number, pauses: readonly PlaybackPause[] = []): ReplyAnalysis {
    const analysis = analyzeReplyAudio(this.session.eventsSince(fromCursor, toCursor), pauses);
    if (analysis.playbackEndMs !== undefined) {
      this.playbackEndMs = Math.max(this.playbackEndMs, analysis.playbackEndMs);
    }
    return analysis;
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
      if (partial.heardAtMs !== undefined) {
        this.record.heard_ms = roundMs(partial.heardAtMs - utterance.speechEndMs);
      }
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
      // A gap the generator's own stall explains is the generator's: chunks that arrived while it
      // could not run were read, and stamped, only after it.
      const stalled = (gap: { fromMs: number; toMs: number }): number =>
        this.timing.stalledMs?.(gap.fromMs, gap.toMs) ?? 0;
      const botGapMs = Math.max(0, ...analysis.gaps.map((gap) => gap.dryMs - stalled(gap)));
      if (botGapMs >= this.settings.maxGapMs) {
        this.noteFailure(
          "audio_gap",
          `the reply's audio ran dry for ${analysis.longestGapMs.toFixed(0)} ms mid-reply`,
        );
      } else {
        const longest = analysis.gaps.reduce((worst, gap) => (gap.dryMs > worst.dryMs ? gap : worst));
        this.noteFailure(
          "generator_lag",
          `the reply's audio seemed to run dry for ${
            longest.dryMs.toFixed(0)
          } ms, but voxbench itself was stalled for ${
            stalled(longest).toFixed(0)
          } ms of it: not the bot's gap`,
        );
      }
    }
  }

  /** How long voxbench itself was stalled within [fromMs, toMs]: a scenario can tell its own lateness from the bot's. */
  stalledMs(fromMs: number, toMs: number): number {
    return this.timing.stalledMs?.(fromMs, toMs) ?? 0;
  }

  /** Whether the bot is audibly talking at `atMs`: its audio is still playing, or still streaming in. */
  isTalking(utterance: Utterance, atMs: number): { talking: boolean; analysis: ReplyAnalysis } {
    const analysis = this.analyzeReply(utterance.cursor, this.session.cursor);
    const ended = this.session.eventsSince(utterance.cursor).some((event) => event.kind === "done");
    const playing = analysis.playbackEndMs !== undefined && analysis.playbackEndMs > atMs;
    const streaming = !ended && analysis.lastAudioMs !== undefined &&
      atMs - analysis.lastAudioMs < this.settings.idleMs;
    return { talking: playing || streaming, analysis };
  }
}
