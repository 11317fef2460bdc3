import type { RawData, WebSocket } from "ws";
import { clipDurationMs } from "../audio/pcm.ts";
import { paceFrames, sleepUntil } from "../audio/pacer.ts";
import { detectSpeech, speechDurationMs } from "../audio/vad.ts";
import { monotonicNowMs, toIsoTime } from "../common/clock.ts";
import type { DeadlineScheduler } from "../common/deadline-scheduler.ts";
import type { Random } from "../common/random.ts";
import { decodeClientMessage, encodeServerEvent, type ServerEvent } from "../protocol/speech-events.ts";
import { decodeSpeechAudio } from "./audio-payload.ts";
import type { Capacity, Release } from "./capacity.ts";
import { randomFor, turnFault, type FaultKind, type FaultOptions } from "./faults.ts";
import { drawMs, type Distribution } from "./latency-model.ts";
import type { ReplyClip } from "./reply-voice.ts";
import type { TurnLog, TurnLogRecord } from "./turn-log.ts";

/** Settings every connection reads (resolved defaults). */
export interface ConnectionSettings {
  readonly seed: number;
  readonly replyDelayMs: number | undefined;
  readonly sttMs: Distribution;
  readonly llmTtftMs: Distribution;
  readonly ttsTtfbMs: Distribution;
  readonly toolMs: Distribution;
  readonly chunkMs: number;
  readonly pace: number;
  readonly inputSampleRateHz: number;
  readonly noiseThresholdMs: number;
  readonly toolThresholdMs: number;
  readonly doneEvent: boolean;
  readonly metricsEvents: boolean;
  readonly toolEvents: boolean;
  readonly faults: FaultOptions;
}

/** What connections share: settings, the LLM slots, the prepared replies, the clock's scheduler. */
export interface ServerContext {
  readonly settings: ConnectionSettings;
  readonly capacity: Capacity;
  readonly replies: readonly ReplyClip[];
  readonly scheduler: DeadlineScheduler;
  readonly turnLog: TurnLog | undefined;
  readonly counters: { turnsStarted: number; turnsFinished: number; activeReplies: number };
}

type Phase = "pipeline" | "ready" | "playing" | "sent" | "stalled";
type TurnEnd = TurnLogRecord["end"];

interface Turn {
  readonly index: number;
  readonly kind: "query" | "tool";
  readonly utteranceMs: number;
  readonly speechMs: number;
  readonly receivedAtMs: number;
  readonly fault: FaultKind | undefined;
  readonly clip: ReplyClip;
  readonly random: Random;
  readonly abort: AbortController;
  phase: Phase;
  paused: boolean;
  finished: boolean;
  nextChunk: number;
  pacing: AbortController | undefined;
  release: Release | undefined;
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
  readonly timings: { stt?: number; queue?: number; llm?: number; tool?: number; tts?: number };
  configuredDelayMs: number | undefined;
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/**
 * One caller's connection to the reference bot: runs each turn through the simulated
 * STT -> LLM -> (tool) -> TTS pipeline, streams the reply in paced chunks, pauses on barge-in,
 * resumes after noise, and logs every turn with the server's own timestamps.
 */
export class BotConnection {
  private turn: Turn | undefined;
  private turnCount = 0;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly context: ServerContext,
    readonly connectionIndex: number,
    readonly sessionId: string,
  ) {}

  /** Greets the caller. */
  start(): void {
    this.send({ event: "connected", session_id: this.sessionId });
  }

  /** Handles one client frame; `receivedAtMs` was read in the socket's message callback. */
  handleMessage(data: RawData, isBinary: boolean, receivedAtMs: number): void {
    if (isBinary) {
      this.send({ event: "error", message: "binary frames are not supported: send JSON text frames" });
      return;
    }
    const decoded = decodeClientMessage(rawToString(data));
    if (!decoded.ok) {
      this.send({ event: "error", message: decoded.reason });
      return;
    }
    const message = decoded.value;
    if (message.type === "speech_start") this.onSpeechStart(receivedAtMs);
    else if (message.type === "speech_end") this.onSpeechEnd(message.audio, message.intent, receivedAtMs);
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

  private onSpeechStart(receivedAtMs: number): void {
    const turn = this.turn;
    if (!turn || turn.paused) return;
    const stopSentMs = this.send({ event: "stop_playback", message: "User started speaking" });
    turn.paused = true;
    turn.pausedAtMs = stopSentMs;
    turn.interruptions.push({ speech_start_received_ms: round3(receivedAtMs), stop_sent_ms: round3(stopSentMs) });
    if (turn.phase === "playing") {
      turn.pacing?.abort();
      turn.phase = "ready";
    } else if (turn.phase === "sent") {
      turn.cancelAudibleEnd?.();
    }
  }

  private onSpeechEnd(audio: string, intent: string | undefined, receivedAtMs: number): void {
    const decoded = decodeSpeechAudio(audio, this.context.settings.inputSampleRateHz);
    if (!decoded.ok) {
      this.send({ event: "error", message: decoded.reason });
      return;
    }
    const speechMs = speechDurationMs(detectSpeech(decoded.clip));
    const isNoise = speechMs < this.context.settings.noiseThresholdMs;
    const current = this.turn;
    if (current && current.paused) {
      if (isNoise) return this.resume(current, receivedAtMs);
      this.send({ event: "playback_reset" });
      this.finishTurn(current, "cancelled");
    } else if (current) {
      if (isNoise) return; // a cough while the bot talks, with no speech_start: nothing to do
      this.send({ event: "playback_reset" });
      this.finishTurn(current, "cancelled");
    } else if (isNoise) {
      return; // noise with no reply in progress is not a turn
    }
    this.startTurn(clipDurationMs(decoded.clip), speechMs, intent, receivedAtMs);
  }

  private resume(turn: Turn, receivedAtMs: number): void {
    const resumeSentMs = this.send({ event: "playback_resume" });
    turn.resumes.push({ speech_end_received_ms: round3(receivedAtMs), resume_sent_ms: round3(resumeSentMs) });
    turn.paused = false;
    if (turn.phase === "ready") {
      this.startPlaying(turn, monotonicNowMs());
    } else if (turn.phase === "sent" && turn.audibleUntilMs !== undefined && turn.pausedAtMs !== undefined) {
      this.scheduleAudibleEnd(turn, turn.audibleUntilMs + (resumeSentMs - turn.pausedAtMs));
    }
  }

  private startTurn(utteranceMs: number, speechMs: number, intent: string | undefined, receivedAtMs: number): void {
    const { settings, replies, counters } = this.context;
    const index = this.turnCount++;
    const random = randomFor(settings.seed + 0x5bd1e995, this.connectionIndex, index);
    const kind = intent === "tool_call" || utteranceMs >= settings.toolThresholdMs ? "tool" : "query";
    const turn: Turn = {
      index,
      kind,
      utteranceMs,
      speechMs,
      receivedAtMs,
      fault: turnFault(settings.faults, settings.seed, this.connectionIndex, index),
      clip: replies[random.index(replies.length)]!,
      random,
      abort: new AbortController(),
      phase: "pipeline",
      paused: false,
      finished: false,
      nextChunk: 0,
      pacing: undefined,
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
    void this.runPipeline(turn);
  }

  /** Waits out each stage on absolute deadlines, then starts the reply (unless paused or faulted). */
  private async runPipeline(turn: Turn): Promise<void> {
    const { settings, scheduler } = this.context;
    const signal = turn.abort.signal;
    const waitUntil = (deadlineMs: number): Promise<number> => sleepUntil(deadlineMs, scheduler, signal);
    let firstChunkDeadlineMs: number;
    if (settings.replyDelayMs !== undefined) {
      turn.configuredDelayMs = settings.replyDelayMs;
      firstChunkDeadlineMs = turn.receivedAtMs + settings.replyDelayMs;
    } else {
      const sttMs = drawMs(settings.sttMs, turn.random);
      turn.timings.stt = sttMs;
      const sttEndMs = turn.receivedAtMs + sttMs;
      await waitUntil(sttEndMs);
      if (signal.aborted) return;
      // Stages chain on absolute deadlines; only a real wait for a slot moves them.
      let grantedAtMs = sttEndMs;
      let release = this.context.capacity.tryAcquire();
      if (!release) {
        release = await this.acquireSlot(turn);
        if (!release) return;
        grantedAtMs = monotonicNowMs();
      }
      turn.release = release;
      turn.timings.queue = grantedAtMs - sttEndMs;
      const llmMs = drawMs(settings.llmTtftMs, turn.random);
      turn.timings.llm = llmMs;
      let deadlineMs = grantedAtMs + llmMs;
      if (turn.kind === "tool") {
        const toolMs = drawMs(settings.toolMs, turn.random);
        turn.timings.tool = toolMs;
        const callId = `call_${this.connectionIndex}_${turn.index}`;
        if (settings.toolEvents) {
          await waitUntil(deadlineMs);
          if (signal.aborted) return;
          this.send({ event: "tool_call", name: "lookup_account", call_id: callId });
        }
        deadlineMs += toolMs;
        if (settings.toolEvents) {
          await waitUntil(deadlineMs);
          if (signal.aborted) return;
          this.send({ event: "tool_result", name: "lookup_account", call_id: callId, duration_ms: round3(toolMs) });
        }
      }
      const ttsMs = drawMs(settings.ttsTtfbMs, turn.random);
      turn.timings.tts = ttsMs;
      firstChunkDeadlineMs = deadlineMs + ttsMs;
      turn.configuredDelayMs = firstChunkDeadlineMs - turn.receivedAtMs;
    }
    await waitUntil(firstChunkDeadlineMs);
    if (signal.aborted) return;
    if (turn.fault === "error") {
      this.send({ event: "error", message: "injected fault: the pipeline failed" });
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

  private acquireSlot(turn: Turn): Promise<Release | undefined> {
    const request = this.context.capacity.acquire();
    const signal = turn.abort.signal;
    return new Promise((resolve) => {
      const onAbort = (): void => {
        request.cancel();
        resolve(undefined);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      void request.granted.then((release) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) {
          release();
          resolve(undefined);
        } else {
          resolve(release);
        }
      });
    });
  }

  private startPlaying(turn: Turn, startAtMs: number): void {
    const { settings, scheduler } = this.context;
    turn.phase = "playing";
    const pacing = new AbortController();
    turn.pacing = pacing;
    const indices: number[] = [];
    for (let index = turn.nextChunk; index < turn.clip.chunkMessages.length; index++) indices.push(index);
    void paceFrames(indices, (chunkIndex) => this.sendChunk(turn, chunkIndex), {
      frameMs: settings.chunkMs / settings.pace,
      startAtMs,
      scheduler,
      signal: pacing.signal,
    }).then((report) => {
      if (report.aborted || turn.finished || turn.pacing !== pacing) return;
      this.allChunksSent(turn);
    });
  }

  private sendChunk(turn: Turn, chunkIndex: number): void {
    if (turn.finished) return;
    const { settings } = this.context;
    const middle = Math.floor(turn.clip.chunkMessages.length / 2);
    turn.nextChunk = chunkIndex + 1;
    if (turn.fault === "close" && chunkIndex === middle) {
      this.finishTurn(turn, "closed");
      this.ws.close(1011, "injected fault: close mid-reply");
      return;
    }
    if (turn.fault === "malformed" && chunkIndex === middle) {
      this.sendRaw('{"event":"play_audio","audio":');
    }
    if (turn.fault === "drop-chunks" && chunkIndex > 0 && turn.random.next() * 100 < settings.faults.dropChunkPercent) {
      turn.chunksDropped++;
      return;
    }
    const sentAtMs = this.sendRaw(turn.clip.chunkMessages[chunkIndex]!);
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
    this.send({
      event: "metrics",
      turn: turn.index,
      stt_ms: value(timings.stt),
      queue_ms: value(timings.queue),
      llm_ttft_ms: value(timings.llm),
      tool_ms: value(timings.tool),
      tts_ttfb_ms: value(timings.tts),
      first_chunk_delay_ms: value((turn.firstChunkSentMs ?? turn.receivedAtMs) - turn.receivedAtMs),
    });
  }

  /** Every chunk is out: release the slot, say so if asked, and end the turn when its audio would end. */
  private allChunksSent(turn: Turn): void {
    const { settings } = this.context;
    turn.phase = "sent";
    turn.release?.();
    turn.release = undefined;
    if (settings.doneEvent) this.send({ event: "response_done" });
    // A client plays in real time: after a faster-than-real-time reply it is still talking.
    const playedSoFarMs = turn.clip.chunkDurationsMs.reduce((total, ms) => total + ms, 0);
    const firstMs = turn.firstChunkSentMs ?? monotonicNowMs();
    const pausedMs = turn.resumes.reduce((total, resume, index) => {
      const interruption = turn.interruptions[index];
      return interruption ? total + (resume.resume_sent_ms - interruption.stop_sent_ms) : total;
    }, 0);
    const audibleUntilMs = Math.max(monotonicNowMs(), firstMs + playedSoFarMs + pausedMs);
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
    turn.pacing?.abort();
    turn.cancelAudibleEnd?.();
    turn.release?.();
    if (this.turn === turn) this.turn = undefined;
    const counters = this.context.counters;
    counters.turnsFinished++;
    counters.activeReplies--;
    // A reply fully sent counts as completed even if the caller hangs up while it is still audible.
    const delivered = turn.phase === "sent" && (end === "closed" || end === "server_closed");
    this.context.turnLog?.write(this.record(turn, turn.phase === "stalled" ? "no_reply" : delivered ? "completed" : end));
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
      first_chunk_delay_ms: turn.firstChunkSentMs === undefined ? null : round3(turn.firstChunkSentMs - turn.receivedAtMs),
      configured_delay_ms: ms(turn.configuredDelayMs),
      reply_clip: turn.clip.name,
      reply_audio_ms: round3(turn.clip.durationMs),
      chunks_total: turn.clip.chunkMessages.length,
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

  /** Sends an event; returns the monotonic time read just before handing it to the socket. */
  private send(event: ServerEvent): number {
    return this.sendRaw(encodeServerEvent(event));
  }

  /** Sends a text frame (a string, or its UTF-8 bytes prepared in advance); returns the send time. */
  private sendRaw(text: string | Uint8Array): number {
    const nowMs = monotonicNowMs();
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(text, { binary: false });
    return nowMs;
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return data.map((part) => part.toString("utf8")).join("");
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  return data.toString("utf8");
}
