import type { AudioAsset } from "../audio/asset.ts";
import { frameAudio } from "../audio/frames.ts";
import { sleepUntil } from "../audio/pacer.ts";
import { bytesPerSample, samplesPerFrame, type WireFormat, wireFormatKey } from "../audio/wire-format.ts";
import type { MonotonicClock } from "../common/clock.ts";
import type { Scheduler } from "../common/deadline-scheduler.ts";
import type { CallerSide } from "../protocols/adapter.ts";
import { type Session, SessionError } from "./session.ts";

/** Where a voice reports the lateness of its real-time frames (the generator's own health). */
export interface VoiceTiming {
  /** How late one frame of a real-time stream left its deadline. */
  frameSendLag(lagMs: number): void;
}

/** How one utterance is spoken. */
export interface SpeakOptions {
  /** Sent with the utterance where the protocol carries one (speech-events' intent). */
  readonly intent?: string;
  /** Every frame of the utterance must reach the socket within this long of being sent, else write_timeout. */
  readonly writeTimeoutMs: number;
  /** Ends the utterance at once (the run was stopped): fails with cancelled. */
  readonly signal?: AbortSignal;
}

/** An utterance as it went out. */
export interface SpokenUtterance {
  readonly asset: AudioAsset;
  /** Send time of the frame holding the speech onset (speech-events: speech_start). */
  readonly speechStartMs: number;
  /** Send time of the frame holding the end of speech (speech-events: speech_end). */
  readonly speechEndMs: number;
  /** Log cursor just before the end-of-speech frame was sent: the reply's events come after it. */
  readonly cursor: number;
  /** How late the end-of-speech frame left its deadline (the end of the clip on the caller's clock). */
  readonly endLagMs: number;
  /** The end-of-speech frame: ws.send() called -> written to the socket (the generator's own CPU). */
  readonly sendOverheadMs: number;
  /** On a stream, the number of the frame holding the speech onset (1 = the call's first, as Twilio's chunk). */
  readonly onsetFrameNumber: number | undefined;
  /** On a stream, the number of the frame holding the end of speech (numbered as onsetFrameNumber). */
  readonly endFrameNumber: number | undefined;
}

/** An utterance being spoken. */
export interface Speaking {
  /** Resolves with the send time of the speech onset. */
  readonly onset: Promise<number>;
  readonly done: Promise<SpokenUtterance>;
}

/** How a caller speaks on its connection. */
export interface Voice {
  /** Begins whatever the voice does for the whole call (a stream's silence frames). */
  start(): void;
  /** Speaks `asset` (after any utterance still being spoken). */
  speak(asset: AudioAsset, options: SpeakOptions): Speaking;
  /** Stops for good (the call ended); utterances not yet spoken fail with cancelled. */
  stop(): void;
}

/** What a voice needs besides its session. */
export interface VoiceOptions {
  readonly transport: "utterance" | "stream";
  readonly caller: CallerSide;
  readonly wireFormat: WireFormat;
  readonly scheduler: Scheduler;
  readonly clock: MonotonicClock;
  readonly timing?: VoiceTiming;
}

/** The voice of a protocol's transport: whole utterances, or a real-time stream. */
export function createVoice(session: Session, options: VoiceOptions): Voice {
  return options.transport === "stream"
    ? new StreamVoice(session, options)
    : new UtteranceVoice(session, options);
}

function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Awaited by the speaker; never an unhandled rejection when only one of the two is.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

const cancelled = (): SessionError =>
  new SessionError("cancelled", "the run was interrupted before this turn finished");

/**
 * A caller with local VAD (speech-events): each utterance is the protocol's plan of frames, sent
 * at their offsets from the first frame's send time on absolute deadlines.
 */
class UtteranceVoice implements Voice {
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly session: Session,
    private readonly options: VoiceOptions,
  ) {}

  start(): void {}

  stop(): void {
    this.stopped = true;
  }

  speak(asset: AudioAsset, speak: SpeakOptions): Speaking {
    const onset = deferred<number>();
    const done = deferred<SpokenUtterance>();
    const previous = this.queue;
    this.queue = previous.then(() => this.speakNow(asset, speak, onset.resolve)).then(
      done.resolve,
      (error: unknown) => {
        onset.reject(error);
        done.reject(error);
      },
    );
    return { onset: onset.promise, done: done.promise };
  }

  private async speakNow(
    asset: AudioAsset,
    speak: SpeakOptions,
    onOnset: (sentMs: number) => void,
  ): Promise<SpokenUtterance> {
    const { clock, scheduler } = this.options;
    const plan = this.options.caller.utterancePlan(asset, speak.intent);
    let firstSentMs = 0;
    let speechStartMs = 0;
    for (const [index, { offsetMs, frame }] of plan.frames.entries()) {
      if (this.stopped || speak.signal?.aborted) throw cancelled();
      let lagMs = 0;
      if (index > 0) {
        lagMs = await sleepUntil(firstSentMs + offsetMs, scheduler, speak.signal);
        if (speak.signal?.aborted) throw cancelled();
      }
      const cursor = this.session.cursor;
      const marks = await this.session.send(frame, {
        deadlineMs: clock() + speak.writeTimeoutMs,
        ...(speak.signal ? { signal: speak.signal } : {}),
      });
      if (index === 0) firstSentMs = marks.sentMs;
      if (index === plan.onsetFrame) {
        speechStartMs = marks.sentMs;
        onOnset(speechStartMs);
      }
      if (index === plan.endFrame) {
        return {
          asset,
          speechStartMs,
          speechEndMs: marks.sentMs,
          cursor,
          endLagMs: lagMs,
          sendOverheadMs: marks.sentMs - marks.calledMs,
          onsetFrameNumber: undefined,
          endFrameNumber: undefined,
        };
      }
    }
    throw new Error(`${asset.name}: the protocol's utterance plan has no end-of-speech frame`);
  }
}

/** A clip cut into the frames a stream sends, with the frames holding its speech onset and end. */
interface FramedClip {
  readonly frames: readonly Uint8Array[];
  readonly onsetFrame: number;
  readonly endFrame: number;
}

/** Frames of each clip per wire format, cut once and shared by every caller. */
const framedClips = new WeakMap<AudioAsset, Map<string, FramedClip>>();

/**
 * A clip as stream frames: the frame holding its speech onset and the one holding its end of
 * speech come from the energy VAD's first and last segments (the whole clip when it has none).
 */
export function framedClip(asset: AudioAsset, format: WireFormat & { readonly frameMs: number }): FramedClip {
  let byFormat = framedClips.get(asset);
  if (!byFormat) {
    byFormat = new Map();
    framedClips.set(asset, byFormat);
  }
  const key = wireFormatKey(format);
  let framed = byFormat.get(key);
  if (!framed) {
    const frames = frameAudio(asset.encoded(format), format.frameMs);
    const segments = asset.speechSegments;
    const last = frames.length - 1;
    const onsetMs = segments[0]?.startMs ?? 0;
    const endMs = segments.at(-1)?.endMs ?? asset.durationMs;
    framed = {
      frames,
      onsetFrame: Math.min(last, Math.max(0, Math.floor(onsetMs / format.frameMs))),
      // The frame holding the last sample of speech (an end exactly on a boundary is the earlier frame's).
      endFrame: Math.min(last, Math.max(0, Math.ceil(endMs / format.frameMs) - 1)),
    };
    byFormat.set(key, framed);
  }
  return framed;
}

/** One silent frame per wire format (mu-law silence is 0xff, A-law 0xd5, PCM16 zeros), shared. */
const silentFrames = new Map<string, Uint8Array>();

function silentFrame(format: WireFormat & { readonly frameMs: number }): Uint8Array {
  const key = wireFormatKey(format);
  let frame = silentFrames.get(key);
  if (!frame) {
    frame = new Uint8Array(
      samplesPerFrame(format.frameMs, format.sampleRateHz) * bytesPerSample(format.encoding),
    );
    if (format.encoding === "mulaw") frame.fill(0xff);
    else if (format.encoding === "alaw") frame.fill(0xd5);
    silentFrames.set(key, frame);
  }
  return frame;
}

/** Unsent bytes above this mean the socket is full: the bot has stopped reading. */
const BACKLOG_BYTES = 16 * 1024;

interface QueuedUtterance {
  readonly asset: AudioAsset;
  readonly clip: FramedClip;
  readonly options: SpeakOptions;
  readonly onset: ReturnType<typeof deferred<number>>;
  readonly done: ReturnType<typeof deferred<SpokenUtterance>>;
  next: number;
  speechStartMs: number;
  onsetFrameNumber: number | undefined;
}

/**
 * A caller on a streaming protocol (Twilio, OpenAI Realtime, raw PCM): from the start of the call
 * it sends one microphone frame every `frameMs` on absolute deadlines (frame k at start + k x
 * frameMs, never chained to when the previous one left), silence between utterances and the
 * utterance's own frames while it speaks. Each frame's send lag is reported.
 */
class StreamVoice implements Voice {
  private readonly frameMs: number;
  private readonly format: WireFormat & { readonly frameMs: number };
  private readonly silence: Uint8Array;
  private readonly queue: QueuedUtterance[] = [];
  private startMs = 0;
  private frameIndex = 0;
  private cancelTick: (() => void) | undefined;
  private stopped = false;
  private started = false;
  private backedUpSinceMs: number | undefined;

  constructor(
    private readonly session: Session,
    private readonly options: VoiceOptions,
  ) {
    this.frameMs = options.wireFormat.frameMs ?? 20;
    this.format = { ...options.wireFormat, frameMs: this.frameMs };
    this.silence = silentFrame(this.format);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.startMs = this.options.clock();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTick?.();
    for (const utterance of this.queue.splice(0)) this.fail(utterance, cancelled());
  }

  speak(asset: AudioAsset, options: SpeakOptions): Speaking {
    const utterance: QueuedUtterance = {
      asset,
      clip: framedClip(asset, this.format),
      options,
      onset: deferred(),
      done: deferred(),
      next: 0,
      speechStartMs: 0,
      onsetFrameNumber: undefined,
    };
    if (this.stopped || options.signal?.aborted) {
      this.fail(utterance, cancelled());
    } else {
      this.queue.push(utterance);
      options.signal?.addEventListener("abort", () => this.abandon(utterance), { once: true });
      this.start();
    }
    return { onset: utterance.onset.promise, done: utterance.done.promise };
  }

  private abandon(utterance: QueuedUtterance): void {
    const index = this.queue.indexOf(utterance);
    if (index < 0) return;
    this.queue.splice(index, 1);
    this.fail(utterance, cancelled());
  }

  private fail(utterance: QueuedUtterance, error: SessionError): void {
    utterance.onset.reject(error);
    utterance.done.reject(error);
  }

  private schedule(): void {
    this.cancelTick = this.options.scheduler.at(
      this.startMs + this.frameIndex * this.frameMs,
      (lagMs) => this.tick(lagMs),
    );
  }

  private tick(lagMs: number): void {
    if (this.stopped || this.session.isClosed) return;
    this.frameIndex++;
    const utterance = this.queue[0];
    const index = utterance?.next ?? -1;
    const isEnd = utterance !== undefined && index === utterance.clip.endFrame;
    const cursor = this.session.cursor;
    const calledMs = this.options.clock();
    const caller = this.options.caller;
    const sentMs = this.session.sendNow(
      caller.audioFrame(utterance ? utterance.clip.frames[index]! : this.silence),
    );
    this.options.timing?.frameSendLag(lagMs);
    if (utterance) {
      if (index === utterance.clip.onsetFrame) {
        utterance.speechStartMs = sentMs;
        utterance.onsetFrameNumber = this.frameIndex;
        utterance.onset.resolve(sentMs);
        if (caller.startOfSpeech) {
          for (const frame of caller.startOfSpeech(utterance.asset.role)) this.session.sendNow(frame);
        }
      }
      if (isEnd) {
        if (caller.endOfSpeech) {
          for (const frame of caller.endOfSpeech(utterance.asset.role)) this.session.sendNow(frame);
        }
        utterance.done.resolve({
          asset: utterance.asset,
          speechStartMs: utterance.speechStartMs,
          speechEndMs: sentMs,
          cursor,
          endLagMs: lagMs,
          sendOverheadMs: sentMs - calledMs,
          onsetFrameNumber: utterance.onsetFrameNumber,
          endFrameNumber: this.frameIndex,
        });
      }
      utterance.next++;
      if (utterance.next >= utterance.clip.frames.length) this.queue.shift();
    }
    if (this.checkBacklog(sentMs)) this.schedule();
  }

  /** Watches the socket's backlog; past the speaking utterance's write timeout, fails it and drops the connection. */
  private checkBacklog(nowMs: number): boolean {
    if (this.session.unsentBytes <= BACKLOG_BYTES) {
      this.backedUpSinceMs = undefined;
      return true;
    }
    this.backedUpSinceMs ??= nowMs;
    const utterance = this.queue[0];
    if (!utterance || nowMs - this.backedUpSinceMs < utterance.options.writeTimeoutMs) return true;
    const seconds = (utterance.options.writeTimeoutMs / 1000).toFixed(1);
    this.queue.shift();
    this.fail(
      utterance,
      new SessionError(
        "write_timeout",
        `the bot stopped reading: ${this.session.unsentBytes} bytes of audio could not be written within ${seconds} s`,
      ),
    );
    this.stop();
    this.session.terminate();
    return false;
  }
}
