import { Buffer } from "node:buffer";
import type { RawData, WebSocket } from "ws";
import { clipDurationMs } from "../audio/pcm.ts";
import type { PcmClip } from "../audio/pcm.ts";
import { detectSpeech, speechDurationMs } from "../audio/vad.ts";
import { monotonicNowMs, toIsoTime } from "../common/clock.ts";
import type { DeadlineScheduler } from "../common/deadline-scheduler.ts";
import { createClip } from "../audio/pcm.ts";
import { type BotInput, type BotSide, frameForSocket, type WireFrame } from "../protocols/adapter.ts";
import type { Capacity } from "./capacity.ts";
import { Endpointer, type EndpointingOptions } from "./endpointer.ts";
import { type FaultKind, type FaultOptions, randomFor, turnFault } from "./faults.ts";
import { type PipelineSettings, type PipelineTurn, runPipeline } from "./pipeline.ts";
import { ReplyStream } from "./reply-stream.ts";
import type { ReplyClip } from "./reply-voice.ts";
import type { TurnLogRecord } from "./turn-log.ts";

/** Settings every connection reads (resolved defaults). */
export interface ConnectionSettings extends PipelineSettings {
  readonly seed: number;
  readonly chunkMs: number;
  readonly pace: number;
  readonly noiseThresholdMs: number;
  readonly toolThresholdMs: number;
  readonly doneEvent: boolean;
  readonly metricsEvents: boolean;
  readonly toolEvents: boolean;
  readonly faults: FaultOptions;
  /** Set for streaming protocols: the bot's own VAD decides when the caller starts and stops talking. */
  readonly endpointing: EndpointingOptions | undefined;
}

/** What connections share: settings, the LLM slots, the prepared replies, the clock's scheduler. */
export interface ServerContext {
  readonly settings: ConnectionSettings;
  readonly capacity: Capacity;
  readonly replies: readonly ReplyClip[];
  readonly scheduler: DeadlineScheduler;
  /** Told of every finished turn (the turn log, live metrics); absent when nobody listens. */
  readonly turnFinished: ((record: TurnLogRecord) => void) | undefined;
  readonly counters: { turnsStarted: number; turnsFinished: number; activeReplies: number };
}

type Phase = "pipeline" | "ready" | "playing" | "sent" | "stalled";
type TurnEnd = TurnLogRecord["end"];

interface Turn extends PipelineTurn {
  readonly index: number;
  readonly utteranceMs: number;
  readonly speechMs: number;
  readonly fault: FaultKind | undefined;
  readonly stream: ReplyStream;
  readonly abort: AbortController;
  phase: Phase;
  paused: boolean;
  finished: boolean;
  firstChunkSentMs: number | undefined;
  lastChunkSentMs: number | undefined;
  /** While the client is still playing audio already sent (phase "sent"), when that audio ends. */
  audibleUntilMs: number | undefined;
  pausedAtMs: number | undefined;
  cancelAudibleEnd: (() => void) | undefined;
  chunksSent: number;
  chunksDropped: number;
  readonly interruptions: { speech_start_received_ms: number; stop_sent_ms: number }[];
  readonly resumes: { speech_end_received_ms: number; resume_sent_ms: number }[];
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

function rawBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/**
 * One caller's connection to the reference bot: the turn state machine. The protocol's bot side
 * reads and writes the frames; speech comes as whole utterances (speech-events) or, on a stream,
 * through the bot's own VAD (endpointer.ts). Each turn runs through the simulated pipeline
 * (pipeline.ts), streams its reply in paced chunks (reply-stream.ts), pauses on barge-in, resumes
 * after noise, may get an injected fault (faults.ts), and is logged with the bot's own timestamps.
 */
export class BotConnection {
  private turn: Turn | undefined;
  private turnCount = 0;
  private closed = false;
  private readonly endpointer: Endpointer | undefined;
  /** Manual turns (Realtime's turn_detection: null): the caller commits its utterances; its audio since the last commit. */
  private manual: { samples: Int16Array[]; sampleRateHz: number; committed: PcmClip | undefined } | undefined;
  /** Whether the caller starting to talk stops the reply (Realtime's interrupt_response). */
  private interruptOnSpeech = true;
  /** A client-run tool's output is awaited: called on the caller's next response request. */
  private toolOutputWaiter: (() => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly context: ServerContext,
    readonly connectionIndex: number,
    readonly sessionId: string,
    private readonly bot: BotSide,
  ) {
    const endpointing = context.settings.endpointing;
    this.endpointer = endpointing
      ? new Endpointer(endpointing, {
        speechStart: (atMs, audioStartMs) => {
          if (this.bot.speechStarted) this.sendAll(this.bot.speechStarted(audioStartMs));
          if (this.interruptOnSpeech) this.onSpeechStart(atMs);
        },
        speechEnd: ({ speechMs, audioEndMs }, atMs) => {
          if (this.bot.speechStopped) this.sendAll(this.bot.speechStopped(audioEndMs));
          this.onSpeechEnd(speechMs, speechMs, undefined, atMs);
        },
      })
      : undefined;
  }

  /** Greets the caller. */
  start(): void {
    this.sendAll(this.bot.greeting(this.sessionId));
  }

  /** Handles one client frame; `receivedAtMs` was read in the socket's message callback. */
  handleMessage(data: RawData, isBinary: boolean, receivedAtMs: number): void {
    for (const input of this.bot.decode(rawBytes(data), isBinary)) {
      switch (input.kind) {
        case "speech_start":
          this.onSpeechStart(receivedAtMs);
          break;
        case "utterance":
          this.onUtterance(input.clip, input.intent, receivedAtMs);
          break;
        case "audio":
          if (this.manual) {
            this.manual.samples.push(input.samples);
            this.manual.sampleRateHz = input.sampleRateHz;
          } else {
            this.endpointer?.push(input.samples, input.sampleRateHz, receivedAtMs);
          }
          break;
        case "invalid":
          this.sendAll(this.bot.error(input.reason));
          break;
        case "answer":
          this.sendAll(input.frames);
          break;
        case "turn_detection":
          this.configureTurns(input);
          break;
        case "commit":
          if (this.manual) {
            this.manual.committed = joinSamples(this.manual.samples.splice(0), this.manual.sampleRateHz);
          }
          break;
        case "respond":
          this.onRespond(receivedAtMs);
          break;
        case "cancel":
          if (this.turn) this.stopForGood(this.turn, receivedAtMs);
          break;
      }
    }
  }

  /** The socket closed: whatever turn was running ends as "closed". */
  handleClose(): void {
    this.closed = true;
    if (this.turn) this.finishTurn(this.turn, "closed");
  }

  /** Server shutdown: end the turn and close the socket with 1001 (going away). */
  shutdown(): void {
    if (this.turn) this.finishTurn(this.turn, "server_closed");
    this.closed = true;
    this.ws.close(1001, "server shutting down");
  }

  /** The caller's session chose how its turns end: the bot's VAD (with its silence) or manual commits. */
  private configureTurns(input: Extract<BotInput, { kind: "turn_detection" }>): void {
    this.interruptOnSpeech = input.interrupt;
    if (input.mode === "manual") {
      this.manual ??= {
        samples: [],
        sampleRateHz: this.context.settings.endpointing ? 24000 : 16000,
        committed: undefined,
      };
      return;
    }
    this.manual = undefined;
    if (input.silenceMs !== undefined) this.endpointer?.setEndpointingMs(input.silenceMs);
  }

  /** The caller asks for a reply: to a client-run tool's output, or (manual turns) to its committed utterance. */
  private onRespond(receivedAtMs: number): void {
    const waiter = this.toolOutputWaiter;
    if (waiter) {
      this.toolOutputWaiter = undefined;
      return waiter();
    }
    const clip = this.manual?.committed;
    if (!clip || !this.manual) return;
    this.manual.committed = undefined;
    if (this.turn) {
      this.sendAll(this.bot.reset());
      this.finishTurn(this.turn, "cancelled");
    }
    // The buffer holds the silence before the speech too: the utterance is its speech, as on any stream.
    const speechMs = speechDurationMs(detectSpeech(clip));
    this.startTurn(speechMs, speechMs, undefined, receivedAtMs);
  }

  /** A stop that ends the reply for good (Realtime's cancelled response): no resume. */
  private stopForGood(turn: Turn, receivedAtMs: number): void {
    const stopSentMs = this.sendAll(this.bot.stop());
    turn.interruptions.push({
      speech_start_received_ms: round3(receivedAtMs),
      stop_sent_ms: round3(stopSentMs),
    });
    this.finishTurn(turn, "cancelled");
  }

  private onSpeechStart(receivedAtMs: number): void {
    const turn = this.turn;
    if (!turn || turn.paused) return;
    if (this.bot.stopEndsReply) return this.stopForGood(turn, receivedAtMs);
    const stopSentMs = this.sendAll(this.bot.stop());
    turn.paused = true;
    turn.pausedAtMs = stopSentMs;
    turn.interruptions.push({
      speech_start_received_ms: round3(receivedAtMs),
      stop_sent_ms: round3(stopSentMs),
    });
    if (turn.phase === "playing") {
      turn.stream.pause();
      turn.phase = "ready";
    } else if (turn.phase === "sent") {
      turn.cancelAudibleEnd?.();
    }
  }

  private onUtterance(clip: PcmClip, intent: string | undefined, receivedAtMs: number): void {
    this.onSpeechEnd(speechDurationMs(detectSpeech(clip)), clipDurationMs(clip), intent, receivedAtMs);
  }

  /** An utterance ended: noise resumes a paused reply; speech starts a new turn. */
  private onSpeechEnd(
    speechMs: number,
    utteranceMs: number,
    intent: string | undefined,
    receivedAtMs: number,
  ): void {
    const isNoise = speechMs < this.context.settings.noiseThresholdMs;
    const current = this.turn;
    if (current && current.paused) {
      if (isNoise) return this.resume(current, receivedAtMs);
      this.sendAll(this.bot.reset());
      this.finishTurn(current, "cancelled");
    } else if (current) {
      if (isNoise) return; // a cough while the bot talks, with no speech_start: nothing to do
      this.sendAll(this.bot.reset());
      this.finishTurn(current, "cancelled");
    } else if (isNoise) {
      return; // noise with no reply in progress is not a turn
    }
    this.startTurn(utteranceMs, speechMs, intent, receivedAtMs);
  }

  private resume(turn: Turn, receivedAtMs: number): void {
    const resumeSentMs = this.sendAll(this.bot.resume());
    turn.resumes.push({ speech_end_received_ms: round3(receivedAtMs), resume_sent_ms: round3(resumeSentMs) });
    turn.paused = false;
    if (turn.phase === "ready") {
      this.startPlaying(turn, monotonicNowMs());
    } else if (turn.phase === "sent" && turn.audibleUntilMs !== undefined && turn.pausedAtMs !== undefined) {
      this.scheduleAudibleEnd(turn, turn.audibleUntilMs + (resumeSentMs - turn.pausedAtMs));
    }
  }

  private startTurn(
    utteranceMs: number,
    speechMs: number,
    intent: string | undefined,
    receivedAtMs: number,
  ): void {
    const { settings, replies, counters, scheduler } = this.context;
    const index = this.turnCount++;
    const random = randomFor(settings.seed + 0x5bd1e995, this.connectionIndex, index);
    const kind = intent === "tool_call" || utteranceMs >= settings.toolThresholdMs ? "tool" : "query";
    const clip = replies[random.index(replies.length)]!;
    const abort = new AbortController();
    const turn: Turn = {
      index,
      kind,
      utteranceMs,
      speechMs,
      receivedAtMs,
      fault: turnFault(settings.faults, settings.seed, this.connectionIndex, index),
      random,
      abort,
      signal: abort.signal,
      stream: new ReplyStream(
        clip,
        { chunkMs: settings.chunkMs, pace: settings.pace, scheduler },
        (chunkIndex) => this.sendChunk(turn, chunkIndex),
        () => {
          if (!turn.finished) this.allChunksSent(turn);
        },
      ),
      phase: "pipeline",
      paused: false,
      finished: false,
      release: undefined,
      firstChunkSentMs: undefined,
      lastChunkSentMs: undefined,
      audibleUntilMs: undefined,
      pausedAtMs: undefined,
      cancelAudibleEnd: undefined,
      chunksSent: 0,
      chunksDropped: 0,
      interruptions: [],
      resumes: [],
      timings: {},
      configuredDelayMs: undefined,
    };
    this.turn = turn;
    counters.turnsStarted++;
    counters.activeReplies++;
    void this.runTurn(turn);
  }

  /** The pipeline, then the reply (unless the turn was paused, or faulted). */
  private async runTurn(turn: Turn): Promise<void> {
    const { settings, capacity, scheduler } = this.context;
    const callId = `call_${this.connectionIndex}_${turn.index}`;
    const firstChunkDeadlineMs = await runPipeline(turn, settings, capacity, scheduler, {
      toolCall: () => {
        if (this.bot.clientRunsTools) {
          // The caller runs the tool: the reply waits for its output and the caller's next response request.
          const output = new Promise<void>((resolve) => (this.toolOutputWaiter = resolve));
          this.sendAll(this.bot.toolCall("lookup_account", callId));
          return output;
        }
        if (settings.toolEvents) this.sendAll(this.bot.toolCall("lookup_account", callId));
        return undefined;
      },
      toolResult: (toolMs) => {
        if (settings.toolEvents) this.sendAll(this.bot.toolResult("lookup_account", callId, round3(toolMs)));
      },
    });
    if (firstChunkDeadlineMs === undefined || turn.finished) return;
    if (turn.fault === "error") {
      this.sendAll(this.bot.error("injected fault: the pipeline failed"));
      return this.finishTurn(turn, "error_event");
    }
    if (turn.fault === "no-reply") {
      turn.phase = "stalled";
      turn.release?.();
      return;
    }
    turn.phase = "ready";
    if (!turn.paused) this.startPlaying(turn, firstChunkDeadlineMs);
  }

  private startPlaying(turn: Turn, startAtMs: number): void {
    turn.phase = "playing";
    turn.stream.start(startAtMs);
  }

  private sendChunk(turn: Turn, chunkIndex: number): void {
    if (turn.finished) return;
    const { settings } = this.context;
    const chunks = turn.stream.clip.chunks;
    const middle = Math.floor(chunks.length / 2);
    if (turn.fault === "close" && chunkIndex === middle) {
      this.finishTurn(turn, "closed");
      this.ws.close(1011, "injected fault: close mid-reply");
      return;
    }
    if (turn.fault === "malformed" && chunkIndex === middle) this.sendFrame('{"event":"play_audio","audio":');
    if (
      turn.fault === "drop-chunks" && chunkIndex > 0 &&
      turn.random.next() * 100 < settings.faults.dropChunkPercent
    ) {
      turn.chunksDropped++;
      return;
    }
    const sentAtMs = this.sendAll(this.bot.replyChunk(chunks[chunkIndex]!));
    turn.chunksSent++;
    turn.lastChunkSentMs = sentAtMs;
    if (turn.firstChunkSentMs === undefined) {
      turn.firstChunkSentMs = sentAtMs;
      if (settings.metricsEvents) this.sendMetrics(turn);
    }
  }

  private sendMetrics(turn: Turn): void {
    const { timings } = turn;
    const value = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : round3(ms));
    this.sendAll(
      this.bot.metrics({
        turn: turn.index,
        ...optional("stt_ms", value(timings.stt)),
        ...optional("queue_ms", value(timings.queue)),
        ...optional("llm_ttft_ms", value(timings.llm)),
        ...optional("tool_ms", value(timings.tool)),
        ...optional("tts_ttfb_ms", value(timings.tts)),
        ...optional(
          "first_chunk_delay_ms",
          value((turn.firstChunkSentMs ?? turn.receivedAtMs) - turn.receivedAtMs),
        ),
      }),
    );
  }

  /** Every chunk is out: release the slot, say so if asked, and end the turn when its audio would end. */
  private allChunksSent(turn: Turn): void {
    const { settings } = this.context;
    turn.phase = "sent";
    turn.release?.();
    turn.release = undefined;
    if (settings.doneEvent || this.bot.alwaysEndsReplies) this.sendAll(this.bot.done());
    // A client plays in real time: after a faster-than-real-time reply it is still talking.
    const firstMs = turn.firstChunkSentMs ?? monotonicNowMs();
    const pausedMs = turn.resumes.reduce((total, resume, index) => {
      const interruption = turn.interruptions[index];
      return interruption ? total + (resume.resume_sent_ms - interruption.stop_sent_ms) : total;
    }, 0);
    const audibleUntilMs = Math.max(monotonicNowMs(), firstMs + turn.stream.clip.durationMs + pausedMs);
    this.scheduleAudibleEnd(turn, audibleUntilMs);
  }

  private scheduleAudibleEnd(turn: Turn, audibleUntilMs: number): void {
    turn.audibleUntilMs = audibleUntilMs;
    turn.cancelAudibleEnd?.();
    turn.cancelAudibleEnd = this.context.scheduler.at(audibleUntilMs, () => {
      if (!turn.paused) this.finishTurn(turn, "completed");
    });
  }

  private finishTurn(turn: Turn, end: TurnEnd): void {
    if (turn.finished) return;
    turn.finished = true;
    turn.abort.abort();
    turn.stream.pause();
    turn.cancelAudibleEnd?.();
    turn.release?.();
    if (this.turn === turn) this.turn = undefined;
    const counters = this.context.counters;
    counters.turnsFinished++;
    counters.activeReplies--;
    // A reply fully sent counts as completed even if the caller hangs up while it is still audible.
    const delivered = turn.phase === "sent" && (end === "closed" || end === "server_closed");
    this.context.turnFinished?.(
      this.record(turn, turn.phase === "stalled" ? "no_reply" : delivered ? "completed" : end),
    );
  }

  private record(turn: Turn, end: TurnEnd): TurnLogRecord {
    const iso = (ms: number | undefined): string | null => (ms === undefined ? null : toIsoTime(ms));
    const ms = (value: number | undefined): number | null => (value === undefined ? null : round3(value));
    return {
      session_id: this.sessionId,
      connection: this.connectionIndex,
      turn: turn.index,
      kind: turn.kind,
      utterance_ms: round3(turn.utteranceMs),
      speech_ms: round3(turn.speechMs),
      speech_end_received_ms: round3(turn.receivedAtMs),
      first_chunk_sent_ms: ms(turn.firstChunkSentMs),
      last_chunk_sent_ms: ms(turn.lastChunkSentMs),
      speech_end_received_at: toIsoTime(turn.receivedAtMs),
      first_chunk_sent_at: iso(turn.firstChunkSentMs),
      last_chunk_sent_at: iso(turn.lastChunkSentMs),
      first_chunk_delay_ms: turn.firstChunkSentMs === undefined
        ? null
        : round3(turn.firstChunkSentMs - turn.receivedAtMs),
      configured_delay_ms: ms(turn.configuredDelayMs),
      reply_clip: turn.stream.clip.name,
      reply_audio_ms: round3(turn.stream.clip.durationMs),
      chunks_total: turn.stream.clip.chunks.length,
      chunks_sent: turn.chunksSent,
      chunks_dropped: turn.chunksDropped,
      interrupted: turn.interruptions.length > 0,
      interruptions: turn.interruptions,
      resumed: turn.resumes.length > 0,
      resumes: turn.resumes,
      cancelled: end === "cancelled",
      end,
      fault: turn.fault ?? null,
      stt_ms: ms(turn.timings.stt),
      queue_ms: ms(turn.timings.queue),
      llm_ttft_ms: ms(turn.timings.llm),
      tool_ms: ms(turn.timings.tool),
      tts_ttfb_ms: ms(turn.timings.tts),
    };
  }

  /** Sends frames in order; returns the monotonic time read just before the first went to the socket. */
  private sendAll(frames: readonly WireFrame[]): number {
    const nowMs = monotonicNowMs();
    for (const frame of frames) this.sendFrame(frame);
    return nowMs;
  }

  private sendFrame(frame: WireFrame): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    const { data, binary } = frameForSocket(frame);
    this.ws.send(data, { binary });
  }
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

/** One clip of the frames a caller streamed. */
function joinSamples(frames: readonly Int16Array[], sampleRateHz: number): PcmClip {
  const joined = new Int16Array(frames.reduce((total, frame) => total + frame.length, 0));
  let offset = 0;
  for (const frame of frames) {
    joined.set(frame, offset);
    offset += frame.length;
  }
  return createClip(joined, sampleRateHz);
}
