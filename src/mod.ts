/**
 * voxbench: load testing and latency benchmarks for real-time voice bots over WebSocket.
 *
 * @example
 * ```ts
 * import { bundledFixturesDir, loadAudioLibrary } from "voxbench";
 * const library = await loadAudioLibrary(bundledFixturesDir());
 * console.log(library.byRole("query").length);
 * ```
 * @module
 */
export { VERSION } from "./version.ts";
export { ExitCode } from "./common/exit-codes.ts";
export { UsageError } from "./common/errors.ts";
export { createRandom, type Random } from "./common/random.ts";
export { monotonicNowMs, toIsoTime } from "./common/clock.ts";
export { DeadlineScheduler } from "./common/deadline-scheduler.ts";
export { keepYoungGenerationSmall } from "./common/young-generation.ts";

export { createClip, clipDurationMs, type PcmClip } from "./audio/pcm.ts";
export { silence, type SilenceOptions } from "./audio/silence.ts";
export { decodeWav, type DecodedWav, type WavInfo, type WavEncoding } from "./audio/wav-decode.ts";
export { encodeWavPcm16, encodeWavMuLaw } from "./audio/wav-encode.ts";
export { loadWavFile } from "./audio/load-file.ts";
export { AudioError } from "./audio/audio-error.ts";
export { resample } from "./audio/resample.ts";
export {
  encodeForWire,
  decodeWireAudio,
  wireFormatProblem,
  type EncodedAudio,
  type WireEncoding,
  type WireFormat,
} from "./audio/wire-format.ts";
export { frameAudio, DEFAULT_FRAME_MS } from "./audio/frames.ts";
export { paceFrames, sleepUntil, frameDeadlineMs, type PaceOptions, type PaceReport } from "./audio/pacer.ts";
export { detectSpeech, DEFAULT_VAD_OPTIONS, type SpeechSegment, type VadOptions } from "./audio/vad.ts";
export { rmsDbfs } from "./audio/energy.ts";
export { AudioAsset, AUDIO_ROLES, type AudioRole } from "./audio/asset.ts";
export {
  bundledFixturesDir,
  createLibrary,
  loadAudioLibrary,
  silenceLibrary,
  type AudioLibrary,
} from "./audio/library.ts";
export { inspectAudioFile, type AudioInspection } from "./audio/inspect.ts";
export { percentile, summarize, type Statistics } from "./metrics/percentiles.ts";

// Load testing: run(), its options and results.
export { run, prepareRun, executeRun, makeRunId, SUMMARY_SCHEMA_VERSION, type RunResult, type PreparedRun } from "./load/runner.ts";
export { RUN_DEFAULTS, type RunOptions, type RunConfig, type RunProgress } from "./load/options.ts";
export type { GeneratorHealth } from "./load/health.ts";

// Scenarios: the four built-ins, and defineScenario for your own.
export { defineScenario, type Scenario } from "./scenarios/define.ts";
export {
  TurnContext,
  type EventMark,
  type MeasuredReply,
  type ReplyAnalysis,
  type ReplyEnd,
  type TurnSettings,
  type Utterance,
} from "./scenarios/turn-context.ts";
export { BUILT_IN_SCENARIOS, DEFAULT_MIX, pickScenario, scenarioMix, type ScenarioWeights, type WeightedScenario } from "./scenarios/registry.ts";
export { simpleQuery } from "./scenarios/simple-query.ts";
export { toolCall } from "./scenarios/tool-call.ts";
export { interruption } from "./scenarios/interruption.ts";
export { falseAlarm } from "./scenarios/false-alarm.ts";

// Measurements and results.
export { OUTCOMES, TurnFailure, isFailure, type Outcome, type FailureOutcome } from "./metrics/outcomes.ts";
export { TURN_COLUMNS, emptyTurnRecord, roundMs, type TurnRecord } from "./metrics/turn-record.ts";
export { summarizeRun, SUMMARY_METRICS, type RunSummary, type TurnSetSummary, type SummaryMetric } from "./metrics/summary.ts";
export { simulatePlayback, type PlaybackResult } from "./session/playback.ts";
// Protocols: the seam (ProtocolAdapter) and the built-in ones.
export {
  frameForSocket,
  type BotInput,
  type BotOptions,
  type BotSide,
  type BotTimings,
  type CallerOptions,
  type CallerSide,
  type ProtocolAdapter,
  type ReplyAudioFormat,
  type ReplyChunk,
  type SessionEvent,
  type SessionEventBody,
  type UtterancePlan,
  type WireFrame,
} from "./protocols/adapter.ts";
export { PROTOCOLS, DEFAULT_PROTOCOL, protocolByName, resolveProtocol } from "./protocols/registry.ts";
export { speechEvents } from "./protocols/speech-events/protocol.ts";
export { twilio } from "./protocols/twilio/protocol.ts";
export { pcm } from "./protocols/pcm/protocol.ts";
export { toBase64, fromBase64 } from "./protocols/base64.ts";
export { Session, SessionError, type SendMarks, type SessionOptions } from "./session/session.ts";
export type { Speaking, SpokenUtterance, Voice } from "./session/voice.ts";

// Reports and exports.
export { formatConsoleReport } from "./report/console-report.ts";
export { writeExports, summaryJson, type ExportPaths } from "./report/exports.ts";
export { turnsToCsv } from "./report/turns-csv.ts";

// The reference voice bot.
export { serve, WS_PATH, type RunningServer } from "./server/server.ts";
export { SERVER_DEFAULTS, type ServerOptions } from "./server/options.ts";
export type { TurnLogRecord } from "./server/turn-log.ts";
export { FAULT_KINDS, type FaultKind, type FaultOptions } from "./server/faults.ts";
export type { Distribution } from "./server/latency-model.ts";
