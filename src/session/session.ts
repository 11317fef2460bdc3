import { Buffer } from "node:buffer";
import type WebSocket from "ws";
import { frameLevels } from "../audio/vad.ts";
import type { WireFormat } from "../audio/wire-format.ts";
import { type MonotonicClock, monotonicNowMs } from "../common/clock.ts";
import { callerScheduler, type Scheduler } from "../common/deadline-scheduler.ts";
import {
  type CallerAnswer,
  type CallerSide,
  frameForSocket,
  type ProtocolAdapter,
  type SessionEvent,
  type SessionEventBody,
  type WireFrame,
} from "../protocols/adapter.ts";
import type { OpenedSocket } from "./socket.ts";
import { createVoice, type Voice, type VoiceTiming } from "./voice.ts";
import { stampWrites, type WriteStamp } from "./write-stamp.ts";

/**
 * When a frame went out. `sentMs` is read just before ws writes the finished (serialised, masked)
 * frame to its socket: the "sent" time of every measurement. (ws's write callback can run after
 * the server already has the frame, and so can the return of ws.send(): neither is used.)
 */
export interface SendMarks {
  /** Just before ws.send(): the frame still has to be built (the generator's own CPU). */
  readonly calledMs: number;
  /** Just before the frame's bytes were written to the socket. */
  readonly sentMs: number;
}

/** Bounds on one send. */
export interface SendOptions {
  /**
   * The frame must be handed to the operating system by this monotonic time. A bot that stops
   * reading its socket makes writes wait forever; past the deadline the send fails with
   * write_timeout and the connection is dropped (a half-written frame leaves it unusable).
   */
  readonly deadlineMs?: number;
  /** Ends the wait at once when aborted (the run was stopped): fails with cancelled. */
  readonly signal?: AbortSignal;
}

/** Why a session operation failed; the turn API turns it into the turn's outcome. */
export type SessionFailureReason = "closed" | "write_timeout" | "cancelled";

/**
 * A session operation that could not complete: the connection closed (code and reason kept), a
 * write missed its deadline, or the run was stopped.
 */
export class SessionError extends Error {
  override readonly name = "SessionError";
  constructor(
    readonly reason: SessionFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** A session event and its position in the session's event log. */
export interface LoggedEvent {
  readonly event: SessionEvent;
  readonly cursor: number;
}

interface Waiter {
  readonly predicate: (event: SessionEvent, cursor: number) => boolean;
  readonly resolve: (logged: LoggedEvent | undefined) => void;
  readonly reject: (error: SessionError) => void;
  cancelDeadline: () => void;
}

/** What a session is built from. */
export interface SessionOptions {
  readonly protocol: ProtocolAdapter;
  /** The protocol's caller side for this connection. */
  readonly caller: CallerSide;
  /** The caller's audio on the wire (the protocol's, resolved). */
  readonly wireFormat: WireFormat;
  readonly scheduler?: Scheduler;
  readonly clock?: MonotonicClock;
  /** Where the voice reports how late its frames left. */
  readonly timing?: VoiceTiming;
}

/**
 * One caller on one connection: sends frames, and logs every frame from the bot as a timestamped
 * event (the time is read first thing in the socket's message callback). Scenarios wait on the
 * log; all measurements are differences of logged times, never of when an `await` happened to
 * resume. The session also plays what a real client of the protocol must: it answers the bot's
 * marks once the audio before them has played on its simulated player (Twilio), and its
 * {@link Voice} speaks (whole utterances, or a real-time stream for the whole call).
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * import { openSocket } from "./socket.ts";
 * import { speechEvents } from "../protocols/speech-events/protocol.ts";
 * const format = { encoding: "pcm16" as const, sampleRateHz: 16000, frameMs: 20 };
 * const socket = await openSocket({ url: "ws://127.0.0.1:8000/ws", connectTimeoutMs: 5000 });
 * const caller = speechEvents.caller({ wireFormat: format, replyFormat: format, parameters: {}, connectionKey: "0" });
 * const session = new Session(socket, { protocol: speechEvents, caller, wireFormat: format });
 * session.start();
 * await session.close();
 * ```
 */
export class Session {
  readonly connectMs: number;
  readonly openedAtMs: number;
  readonly protocol: ProtocolAdapter;
  readonly wireFormat: WireFormat;
  readonly voice: Voice;
  sessionId: string | undefined;
  /** Set once the server has sent an explicit end-of-response event on this connection. */
  sawDoneEvent = false;
  closedEvent: (SessionEvent & { kind: "closed" }) | undefined;
  private readonly log: SessionEvent[] = [];
  /** Cursor of log[0]: older events are forgotten between turns. */
  private base = 0;
  private readonly waiters = new Set<Waiter>();
  private readonly ws: WebSocket;
  private readonly writes: WriteStamp;
  private readonly caller: CallerSide;
  private readonly scheduler: Scheduler;
  private readonly clock: MonotonicClock;
  /** When the simulated player will have played all the reply audio received so far. */
  private playbackEndMs = 0;
  /** Marks waiting for the audio before them to play: how to answer each now, and how to forget it. */
  private readonly pendingMarks = new Map<number, { readonly answer: () => void; cancel: () => void }>();
  private markCount = 0;
  /** Protocol answers waiting for their time (a tool's output), forgotten when the connection closes. */
  private readonly pendingAnswers = new Set<() => void>();

  constructor(socket: OpenedSocket, options: SessionOptions) {
    this.ws = socket.ws;
    this.protocol = options.protocol;
    this.caller = options.caller;
    this.wireFormat = options.wireFormat;
    this.scheduler = options.scheduler ?? callerScheduler;
    this.clock = options.clock ?? monotonicNowMs;
    this.writes = stampWrites(socket.ws, this.clock);
    this.sessionId = options.caller.sessionId;
    this.connectMs = socket.openedAtMs - socket.connectStartMs;
    this.openedAtMs = socket.openedAtMs;
    this.voice = createVoice(this, {
      transport: options.protocol.transport,
      caller: options.caller,
      wireFormat: options.wireFormat,
      scheduler: this.scheduler,
      clock: this.clock,
      ...(options.timing ? { timing: options.timing } : {}),
    });
    const receive = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean, atMs: number): void => {
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof Uint8Array
        ? data
        : new Uint8Array(data);
      let bodies: SessionEventBody[];
      try {
        bodies = this.caller.decode(bytes, isBinary);
      } catch (error) {
        bodies = [{
          kind: "protocol_error",
          message: `undecodable frame (${error instanceof Error ? error.message : String(error)})`,
        }];
      }
      for (const body of bodies) this.push(loggedEvent(body, atMs));
    };
    // Synchronously: stop the socket's early buffer, listen, then replay what it caught.
    const early = socket.takeEarlyMessages();
    this.ws.on(
      "message",
      (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => receive(data, isBinary, this.clock()),
    );
    for (const message of early) receive(message.data, message.isBinary, message.atMs);
    this.ws.on("error", (error: Error & { code?: string }) => {
      const atMs = this.clock();
      const message = error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"
        ? "the server sent a message larger than the size cap"
        : `WebSocket error: ${error.message.split("\n")[0]}`;
      this.push({ kind: "protocol_error", message, atMs });
    });
    this.ws.on("close", (code: number, reason: Buffer) => {
      const atMs = this.clock();
      const event = { kind: "closed" as const, code, reason: reason.toString("utf8"), atMs };
      this.closedEvent = event;
      this.voice.stop();
      this.push(event);
    });
  }

  /** Sends the protocol's opening frames (Twilio's connected and start) and starts the voice. */
  start(): void {
    for (const frame of this.caller.opening()) this.sendNow(frame);
    this.voice.start();
  }

  /** The cursor the next event will get. */
  get cursor(): number {
    return this.base + this.log.length;
  }

  /** True once the connection has closed (for any reason). */
  get isClosed(): boolean {
    return this.closedEvent !== undefined || this.ws.readyState >= this.ws.CLOSING;
  }

  /** Bytes handed to ws that the socket has not yet written (a bot that stopped reading makes this grow). */
  get unsentBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** Events logged at or after `cursor`, oldest first. */
  eventsSince(cursor: number, until: number = this.cursor): SessionEvent[] {
    return this.log.slice(Math.max(0, cursor - this.base), Math.max(0, until - this.base));
  }

  /** Drops events before `cursor` (between turns, to keep memory flat over long runs). */
  forgetBefore(cursor: number): void {
    const drop = Math.min(this.log.length, cursor - this.base);
    if (drop <= 0) return;
    this.log.splice(0, drop);
    this.base += drop;
  }

  /**
   * The first event at or after `fromCursor` matching `predicate`; undefined if `deadlineMs`
   * passes first. Rejects with a SessionError ("closed") if the connection closes first (unless
   * the predicate accepts the "closed" event itself). `predicate` sees each event once, in order,
   * with its cursor.
   */
  waitFor(
    predicate: (event: SessionEvent, cursor: number) => boolean,
    fromCursor: number,
    deadlineMs: number,
  ): Promise<LoggedEvent | undefined> {
    const logged = this.eventsSince(fromCursor);
    const firstCursor = Math.max(fromCursor, this.base);
    for (const [offset, event] of logged.entries()) {
      if (predicate(event, firstCursor + offset)) {
        return Promise.resolve({ event, cursor: firstCursor + offset });
      }
      if (event.kind === "closed") return Promise.reject(closedFailure(event));
    }
    if (this.closedEvent) return Promise.reject(closedFailure(this.closedEvent));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { predicate, resolve, reject, cancelDeadline: () => {} };
      waiter.cancelDeadline = this.scheduler.at(deadlineMs, () => {
        if (!this.waiters.delete(waiter)) return;
        resolve(undefined);
      });
      this.waiters.add(waiter);
    });
  }

  /**
   * Sends one frame now, without waiting for the socket: the time it was handed to the socket.
   * For the frames of a real-time stream, whose backlog the voice watches instead.
   */
  sendNow(frame: WireFrame): number {
    if (this.isClosed) return this.clock();
    const { data, binary } = frameForSocket(frame);
    this.writes.reset();
    this.ws.send(data, { binary });
    return this.writes.lastWriteMs() ?? this.clock();
  }

  /**
   * Sends one frame; resolves once ws has handed it to the operating system. Rejects with a
   * SessionError: "closed" if it could not be sent, "write_timeout" past `options.deadlineMs`, and
   * "cancelled" when `options.signal` aborts.
   */
  send(frame: WireFrame, options: SendOptions = {}): Promise<SendMarks> {
    return new Promise((resolve, reject) => {
      if (this.isClosed) {
        reject(
          this.closedEvent
            ? closedFailure(this.closedEvent)
            : new SessionError("closed", "the connection is closed"),
        );
        return;
      }
      if (options.signal?.aborted) {
        reject(cancelledFailure());
        return;
      }
      let settled = false;
      let cancelDeadline = (): void => {};
      const onAbort = (): void => finish(cancelledFailure());
      const finish = (failure?: SessionError): void => {
        if (settled) return;
        settled = true;
        cancelDeadline();
        options.signal?.removeEventListener("abort", onAbort);
        if (failure) reject(failure);
        else resolve({ calledMs, sentMs });
      };
      const { data, binary } = frameForSocket(frame);
      this.writes.reset();
      const calledMs = this.clock();
      let sentMs = calledMs;
      this.ws.send(
        data,
        { binary },
        (error) => finish(error ? new SessionError("closed", `send failed: ${error.message}`) : undefined),
      );
      sentMs = this.writes.lastWriteMs() ?? this.clock();
      if (settled) return;
      if (options.deadlineMs !== undefined) {
        const deadlineMs = options.deadlineMs;
        cancelDeadline = this.scheduler.at(deadlineMs, () => {
          if (settled) return;
          const seconds = ((deadlineMs - calledMs) / 1000).toFixed(1);
          finish(
            new SessionError(
              "write_timeout",
              `the bot stopped reading: a ${data.length}-byte frame could not be written within ${seconds} s`,
            ),
          );
          this.ws.terminate();
        });
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Drops the connection at once (a write that can never complete leaves it unusable). */
  terminate(): void {
    this.ws.terminate();
  }

  /**
   * Hangs up: stops the voice, sends the protocol's closing frames (Twilio's stop), closes the
   * connection (1000) and waits for it to finish closing (at most 2 s, then drops it). A
   * connection with unsent data (a bot that stopped reading) is dropped at once: its close frame
   * would queue behind that data and never arrive.
   */
  close(): Promise<void> {
    this.voice.stop();
    if (this.closedEvent) return Promise.resolve();
    if (this.ws.readyState === this.ws.OPEN && this.ws.bufferedAmount === 0) {
      for (const frame of this.caller.closing()) {
        this.sendNow(frame);
      }
    }
    if (this.ws.bufferedAmount > 0) this.ws.terminate();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2000);
      this.ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.ws.readyState === this.ws.CONNECTING || this.ws.readyState === this.ws.OPEN) {
        this.ws.close(1000, "voxbench done");
      }
    });
  }

  private push(event: SessionEvent): void {
    switch (event.kind) {
      case "connected":
        this.sessionId = event.sessionId;
        break;
      case "done":
        this.sawDoneEvent = true;
        break;
      case "audio":
        this.playbackEndMs = Math.max(event.atMs, this.playbackEndMs) + (event.durationMs ?? 0);
        break;
      case "mark":
        this.answerMarkWhenPlayed(event.name, event.atMs);
        break;
      case "stop":
        // The caller's player drops what it had queued: every pending mark is answered now.
        this.playbackEndMs = event.atMs;
        for (const mark of [...this.pendingMarks.values()]) mark.answer();
        break;
      case "closed":
        for (const mark of this.pendingMarks.values()) mark.cancel();
        this.pendingMarks.clear();
        for (const cancel of this.pendingAnswers) cancel();
        this.pendingAnswers.clear();
        break;
    }
    this.log.push(event);
    if (this.caller.answer && event.kind !== "closed") {
      this.sendAnswers(this.caller.answer(event), event.atMs);
    }
    const cursor = this.cursor - 1;
    if (this.waiters.size === 0) return;
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(event, cursor)) {
        this.waiters.delete(waiter);
        waiter.cancelDeadline();
        waiter.resolve({ event, cursor });
      } else if (event.kind === "closed") {
        this.waiters.delete(waiter);
        waiter.cancelDeadline();
        waiter.reject(closedFailure(event));
      }
    }
  }

  /** Sends what the protocol's client answers to an event: now, or `afterMs` after the event. */
  private sendAnswers(answers: readonly CallerAnswer[], atMs: number): void {
    for (const answer of answers) {
      if (answer.afterMs <= 0) {
        for (const frame of answer.frames) this.sendNow(frame);
        continue;
      }
      const cancel = this.scheduler.at(atMs + answer.afterMs, () => {
        this.pendingAnswers.delete(cancel);
        for (const frame of answer.frames) this.sendNow(frame);
      });
      this.pendingAnswers.add(cancel);
    }
  }

  /** Answers a mark once the audio received before it has played, as the protocol's real client does. */
  private answerMarkWhenPlayed(name: string, atMs: number): void {
    const key = this.markCount++;
    const mark = {
      answer: (): void => {
        if (!this.pendingMarks.delete(key)) return;
        mark.cancel();
        const frame = this.caller.markPlayed(name);
        if (frame !== undefined) this.sendNow(frame);
      },
      cancel: (): void => {},
    };
    this.pendingMarks.set(key, mark);
    mark.cancel = this.scheduler.at(Math.max(atMs, this.playbackEndMs), mark.answer);
  }
}

/** The event as logged: reply audio keeps its frame levels, not its samples. */
function loggedEvent(body: SessionEventBody, atMs: number): SessionEvent {
  if (body.kind !== "audio") return { ...body, atMs };
  const { samples, sampleRateHz } = body;
  return {
    kind: "audio",
    levels: samples && sampleRateHz !== undefined ? frameLevels(samples, sampleRateHz) : undefined,
    sampleRateHz,
    durationMs: body.durationMs,
    byteLength: body.byteLength,
    atMs,
  };
}

function cancelledFailure(): SessionError {
  return new SessionError("cancelled", "the run was interrupted before this turn finished");
}

function closedFailure(event: SessionEvent & { kind: "closed" }): SessionError {
  return new SessionError(
    "closed",
    `connection closed by the server (code ${event.code}${event.reason ? `: ${event.reason}` : ""})`,
  );
}
