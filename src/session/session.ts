import { Buffer } from "node:buffer";
import type WebSocket from "ws";
import type { AudioAsset } from "../audio/asset.ts";
import type { WireFormat } from "../audio/wire-format.ts";
import { monotonicNowMs } from "../common/clock.ts";
import { callerScheduler, type DeadlineScheduler } from "../common/deadline-scheduler.ts";
import { TurnFailure } from "../metrics/outcomes.ts";
import type { ClientProtocolAdapter, SessionEvent, SessionEventBody } from "../protocol/client-adapter.ts";
import type { OpenedSocket } from "./socket.ts";
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

/** A session event and its position in the session's event log. */
export interface LoggedEvent {
  readonly event: SessionEvent;
  readonly cursor: number;
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

interface Waiter {
  readonly predicate: (event: SessionEvent) => boolean;
  readonly resolve: (logged: LoggedEvent | undefined) => void;
  readonly reject: (error: TurnFailure) => void;
  cancelDeadline: () => void;
}

/**
 * One caller on one connection: sends frames, and logs every server frame as a timestamped event
 * (the time is read first thing in the socket's message callback). Scenarios wait on the log; all
 * measurements are differences of logged times, never of when an `await` happened to resume.
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * import { openSocket } from "./socket.ts";
 * import { speechEventsAdapter } from "../protocol/speech-events-client.ts";
 * const socket = await openSocket({ url: "ws://127.0.0.1:8000/ws", connectTimeoutMs: 5000 });
 * const session = new Session(socket, speechEventsAdapter({ encoding: "pcm16", sampleRateHz: 16000 }), { encoding: "pcm16", sampleRateHz: 16000 });
 * await session.close();
 * ```
 */
export class Session {
  readonly connectMs: number;
  readonly openedAtMs: number;
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

  constructor(
    socket: OpenedSocket,
    private readonly adapter: ClientProtocolAdapter,
    readonly wireFormat: WireFormat,
    private readonly scheduler: DeadlineScheduler = callerScheduler,
  ) {
    this.ws = socket.ws;
    this.writes = stampWrites(socket.ws);
    this.connectMs = socket.openedAtMs - socket.connectStartMs;
    this.openedAtMs = socket.openedAtMs;
    const receive = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean, atMs: number): void => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof Uint8Array ? data : new Uint8Array(data);
      let bodies: SessionEventBody[];
      try {
        bodies = this.adapter.decode(bytes, isBinary);
      } catch (error) {
        bodies = [{ kind: "protocol_error", message: `undecodable frame (${error instanceof Error ? error.message : String(error)})` }];
      }
      for (const body of bodies) this.push({ ...body, atMs } as SessionEvent);
    };
    // Synchronously: stop the socket's early buffer, listen, then replay what it caught.
    const early = socket.takeEarlyMessages();
    this.ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => receive(data, isBinary, monotonicNowMs()));
    for (const message of early) receive(message.data, message.isBinary, message.atMs);
    this.ws.on("error", (error: Error & { code?: string }) => {
      const atMs = monotonicNowMs();
      const message =
        error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"
          ? "the server sent a message larger than the size cap"
          : `WebSocket error: ${error.message.split("\n")[0]}`;
      this.push({ kind: "protocol_error", message, atMs });
    });
    this.ws.on("close", (code: number, reason: Buffer) => {
      const atMs = monotonicNowMs();
      const event = { kind: "closed" as const, code, reason: reason.toString("utf8"), atMs };
      this.closedEvent = event;
      this.push(event);
    });
  }

  /** The cursor the next event will get. */
  get cursor(): number {
    return this.base + this.log.length;
  }

  /** True once the connection has closed (for any reason). */
  get isClosed(): boolean {
    return this.closedEvent !== undefined || this.ws.readyState >= this.ws.CLOSING;
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
   * passes first. Rejects with closed_by_server if the connection closes first (unless the
   * predicate accepts the "closed" event itself).
   */
  waitFor(predicate: (event: SessionEvent) => boolean, fromCursor: number, deadlineMs: number): Promise<LoggedEvent | undefined> {
    const logged = this.eventsSince(fromCursor);
    for (const [offset, event] of logged.entries()) {
      if (predicate(event)) return Promise.resolve({ event, cursor: Math.max(fromCursor, this.base) + offset });
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

  /** Sends speech_start; resolves with the send marks. */
  speechStart(options: SendOptions = {}): Promise<SendMarks> {
    return this.send(this.adapter.speechStart(), options);
  }

  /** Sends speech_end carrying `asset` in the session's wire format. */
  speechEnd(asset: AudioAsset, intent: string | undefined, options: SendOptions = {}): Promise<SendMarks> {
    return this.send(this.adapter.speechEnd(asset, this.wireFormat, intent), options);
  }

  /**
   * Sends one text frame; resolves once ws has handed it to the operating system. Rejects with
   * closed_by_server if it could not be sent, write_timeout past `options.deadlineMs`, and
   * cancelled when `options.signal` aborts.
   */
  send(frame: string, options: SendOptions = {}): Promise<SendMarks> {
    return new Promise((resolve, reject) => {
      if (this.isClosed) {
        reject(this.closedEvent ? closedFailure(this.closedEvent) : new TurnFailure("closed_by_server", "the connection is closed"));
        return;
      }
      if (options.signal?.aborted) {
        reject(cancelledFailure());
        return;
      }
      let settled = false;
      let cancelDeadline = (): void => {};
      const onAbort = (): void => finish(cancelledFailure());
      const finish = (failure?: TurnFailure): void => {
        if (settled) return;
        settled = true;
        cancelDeadline();
        options.signal?.removeEventListener("abort", onAbort);
        if (failure) reject(failure);
        else resolve({ calledMs, sentMs });
      };
      this.writes.reset();
      const calledMs = monotonicNowMs();
      let sentMs = calledMs;
      this.ws.send(frame, (error) => finish(error ? new TurnFailure("closed_by_server", `send failed: ${error.message}`) : undefined));
      sentMs = this.writes.lastWriteMs() ?? monotonicNowMs();
      if (settled) return;
      if (options.deadlineMs !== undefined) {
        const deadlineMs = options.deadlineMs;
        cancelDeadline = this.scheduler.at(deadlineMs, () => {
          if (settled) return;
          const seconds = ((deadlineMs - calledMs) / 1000).toFixed(1);
          finish(new TurnFailure("write_timeout", `the bot stopped reading: a ${frame.length}-byte frame could not be written within ${seconds} s`));
          this.ws.terminate();
        });
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Closes the connection (1000) and waits for it to finish closing (at most 2 s, then drops it).
   * A connection with unsent data (a bot that stopped reading) is dropped at once: its close frame
   * would queue behind that data and never arrive.
   */
  close(): Promise<void> {
    if (this.closedEvent) return Promise.resolve();
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
      if (this.ws.readyState === this.ws.CONNECTING || this.ws.readyState === this.ws.OPEN) this.ws.close(1000, "voxbench done");
    });
  }

  private push(event: SessionEvent): void {
    if (event.kind === "connected") this.sessionId = event.sessionId;
    if (event.kind === "done") this.sawDoneEvent = true;
    this.log.push(event);
    const cursor = this.cursor - 1;
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(event)) {
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
}

function cancelledFailure(): TurnFailure {
  return new TurnFailure("cancelled", "the run was interrupted before this turn finished");
}

function closedFailure(event: SessionEvent & { kind: "closed" }): TurnFailure {
  return new TurnFailure("closed_by_server", `connection closed by the server (code ${event.code}${event.reason ? `: ${event.reason}` : ""})`);
}
