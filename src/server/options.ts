import type { AudioLibrary } from "../audio/library.ts";
import type { ProtocolAdapter } from "../protocols/adapter.ts";
import type { WireFormat } from "../audio/wire-format.ts";
import type { Distribution } from "./latency-model.ts";
import { type FaultOptions, NO_FAULTS } from "./faults.ts";

/** Everything `voxbench serve` and `serve()` accept. Every field is optional. */
export interface ServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Seed for latencies, reply choice and faults. Default 1. */
  seed?: number;
  /** The wire protocol: "speech-events" (default), "twilio", "pcm", or an adapter object. */
  protocol?: string | ProtocolAdapter;
  /** Streaming protocols: the bot's VAD ends an utterance after this much silence. Default 500 ms. */
  endpointingMs?: number;
  /** Streaming protocols: a sound with less speech than this is noise (no barge-in, no turn). Default 400 ms. */
  minSpeechMs?: number;
  /** Replaces the whole pipeline by one fixed delay from speech_end received to first chunk sent. */
  replyDelayMs?: number;
  sttMs?: Distribution;
  llmTtftMs?: Distribution;
  ttsTtfbMs?: Distribution;
  toolMs?: Distribution;
  /** Simulated LLM slots (replies in progress at once); 0 or Infinity means unbounded. */
  maxConcurrentReplies?: number;
  /** Reply chunk length. Default 100 ms. */
  chunkMs?: number;
  /** Reply pace relative to real time: 1 = real time, 2 = twice as fast. Default 1. */
  pace?: number;
  /** Silence before the reply's speech. Default 0. */
  leadingSilenceMs?: number;
  /** Reply audio format. Default PCM16 at 16 kHz. */
  replyFormat?: WireFormat;
  /** Rate of raw (headerless) PCM16 in speech_end. Default 16000. */
  inputSampleRateHz?: number;
  /** An utterance with less speech than this is noise. Default 1000 ms (streaming protocols: minSpeechMs). */
  noiseThresholdMs?: number;
  /** An utterance at least this long is a tool call. Default 2500 ms. */
  toolThresholdMs?: number;
  /** Send {"event":"response_done"} after the last chunk. */
  doneEvent?: boolean;
  /** Send {"event":"metrics",...} with the turn's stage timings. */
  metricsEvents?: boolean;
  /** Send tool_call and tool_result events. */
  toolEvents?: boolean;
  /** Append one JSON line per turn here. */
  logTurnsPath?: string;
  faults?: FaultOptions;
  /** The bot's voice (role "bot"). Default: the bundled fixtures. */
  replyAudio?: AudioLibrary;
  /** Serve live Prometheus metrics on this port (/metrics): turns, stage timings, connections. */
  metricsPort?: number;
  /** Largest client message accepted. Default 32 MiB. */
  maxMessageBytes?: number;
}

/** Defaults: a pipeline in the range real STT -> LLM -> TTS deployments publish. */
export const SERVER_DEFAULTS = {
  host: "127.0.0.1",
  port: 8000,
  seed: 1,
  sttMs: { kind: "lognormal", medianMs: 150, p95Ms: 400 } as Distribution,
  llmTtftMs: { kind: "lognormal", medianMs: 350, p95Ms: 900 } as Distribution,
  ttsTtfbMs: { kind: "lognormal", medianMs: 120, p95Ms: 300 } as Distribution,
  toolMs: { kind: "lognormal", medianMs: 800, p95Ms: 2000 } as Distribution,
  maxConcurrentReplies: Infinity,
  chunkMs: 100,
  pace: 1,
  leadingSilenceMs: 0,
  replyFormat: { encoding: "pcm16", sampleRateHz: 16000 } as WireFormat,
  inputSampleRateHz: 16000,
  noiseThresholdMs: 1000,
  endpointingMs: 500,
  minSpeechMs: 400,
  toolThresholdMs: 2500,
  faults: NO_FAULTS,
  maxMessageBytes: 32 * 1024 * 1024,
} as const;
