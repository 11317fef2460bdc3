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
export { DeadlineScheduler, type Scheduler } from "./common/deadline-scheduler.ts";
export { keepYoungGenerationSmall } from "./common/young-generation.ts";

export { clipDurationMs, createClip, type PcmClip } from "./audio/pcm.ts";
export { silence, type SilenceOptions } from "./audio/silence.ts";
export { type DecodedWav, decodeWav, type WavEncoding, type WavInfo } from "./audio/wav-decode.ts";
export { encodeWavMuLaw, encodeWavPcm16 } from "./audio/wav-encode.ts";
export { loadWavFile } from "./audio/load-file.ts";
export { AudioError } from "./audio/audio-error.ts";
export { resample } from "./audio/resample.ts";
export {
  decodeWireAudio,
  type EncodedAudio,
  encodeForWire,
  type WireEncoding,
  type WireFormat,
  wireFormatProblem,
} from "./audio/wire-format.ts";
export { DEFAULT_FRAME_MS, frameAudio } from "./audio/frames.ts";
export {
  DEFAULT_VAD_OPTIONS,
  detectSpeech,
  type FrameLevels,
  type SpeechSegment,
  type VadOptions,
} from "./audio/vad.ts";
export { rmsDbfs } from "./audio/energy.ts";
export { AUDIO_ROLES, AudioAsset, type AudioRole } from "./audio/asset.ts";
export {
  type AudioLibrary,
  bundledFixturesDir,
  createLibrary,
  loadAudioLibrary,
  silenceLibrary,
} from "./audio/library.ts";
export { type AudioInspection, inspectAudioFile } from "./audio/inspect.ts";
export { percentile, type Statistics, summarize } from "./metrics/percentiles.ts";

// Load testing: run(), its options and results.
export {
  executeRun,
  type PreparedRun,
  prepareRun,
  run,
  type RunResult,
  SUMMARY_SCHEMA_VERSION,
} from "./load/runner.ts";
export { RUN_DEFAULTS, type RunConfig, type RunOptions, type RunProgress } from "./load/options.ts";
export type { GeneratorHealth } from "./load/health.ts";

// Scenarios: the four built-ins, and defineScenario for your own.
export { defineScenario, type Scenario } from "./scenarios/define.ts";
export {
  type EventMark,
  type MeasuredReply,
  type ReplyAnalysis,
  type ReplyEnd,
  TurnContext,
  type TurnSettings,
  type Utterance,
} from "./scenarios/turn-context.ts";
export {
  BUILT_IN_SCENARIOS,
  DEFAULT_MIX,
  scenarioMix,
  type ScenarioWeights,
  type WeightedScenario,
} from "./scenarios/registry.ts";
export { simpleQuery } from "./scenarios/simple-query.ts";
export { toolCall } from "./scenarios/tool-call.ts";
export { interruption } from "./scenarios/interruption.ts";
export { falseAlarm } from "./scenarios/false-alarm.ts";

// Measurements and results.
export { type FailureOutcome, isFailure, type Outcome, OUTCOMES, TurnFailure } from "./metrics/outcomes.ts";
export { roundMs, TURN_COLUMNS, type TurnRecord } from "./metrics/turn-record.ts";
export {
  type RunSummary,
  summarizeRun,
  SUMMARY_METRICS,
  type SummaryMetric,
  type TurnSetSummary,
} from "./metrics/summary.ts";
// Protocols: the seam (ProtocolAdapter) and the built-in ones.
export {
  type BotInput,
  type BotOptions,
  type BotSide,
  type BotTimings,
  type CallerAnswer,
  type CallerOptions,
  type CallerSide,
  type LoggedAudio,
  type ProtocolAdapter,
  type ReplyAudioFormat,
  type ReplyChunk,
  type SessionEvent,
  type SessionEventBody,
  type UtterancePlan,
  type WireFrame,
} from "./protocols/adapter.ts";
export { DEFAULT_PROTOCOL, protocolByName, PROTOCOLS, resolveProtocol } from "./protocols/registry.ts";
export { speechEvents } from "./protocols/speech-events/protocol.ts";
export { twilio } from "./protocols/twilio/protocol.ts";
export { pcm } from "./protocols/pcm/protocol.ts";
export { openaiRealtime, type RealtimeOptions } from "./protocols/openai-realtime/protocol.ts";
export { fromBase64, toBase64 } from "./protocols/base64.ts";
export type { Session } from "./session/session.ts";
export type { Speaking, SpokenUtterance } from "./session/voice.ts";

// Capacity search: step the load up, then bisect (`voxbench capacity`).
export {
  searchCapacity,
  type SearchEnd,
  type SearchOutcome,
  type SearchPlan,
  type StepVerdict,
} from "./capacity/search.ts";
export { type CapacityMode, type CapacityStep, runStep, type StepSettings } from "./capacity/step.ts";

// Reports and exports.
export { formatConsoleReport } from "./report/console-report.ts";
export { type ExportPaths, writeExports } from "./report/exports.ts";
export { turnsToCsv } from "./report/turns-csv.ts";

// The reference voice bot.
export { type RunningServer, serve, WS_PATH } from "./server/server.ts";
export { SERVER_DEFAULTS, type ServerOptions } from "./server/options.ts";
export type { TurnLogRecord } from "./server/turn-log.ts";
export { FAULT_KINDS, type FaultKind, type FaultOptions } from "./server/faults.ts";
export type { Distribution } from "./server/latency-model.ts";
