import type { AudioLibrary } from "../audio/library.ts";
import { DEFAULT_FRAME_MS } from "../audio/frames.ts";
import { frameProblem, wireFormatProblem, type WireFormat } from "../audio/wire-format.ts";
import { UsageError } from "../common/errors.ts";
import { redactUrl } from "../common/redact.ts";
import { randomSeed } from "../common/random.ts";
import type { TurnRecord } from "../metrics/turn-record.ts";
import type { ReplyAudioFormat } from "../protocol/client-adapter.ts";
import type { ScenarioWeights, WeightedScenario } from "../scenarios/registry.ts";
import { TARGET_SETS, type TargetSet } from "../metrics/targets.ts";

/** Progress handed to `onTurn` after every finished turn. */
export interface RunProgress {
  readonly done: number;
  readonly total: number;
  readonly failed: number;
}

/** Everything `run()` and `voxbench run` accept. Every field is optional. */
export interface RunOptions {
  /** Default ws://localhost:8000/ws. */
  server?: string;
  /** Simultaneous callers, one connection each. Default 10. */
  concurrency?: number;
  /** Turns per caller. Default 5. */
  requests?: number;
  /** Default simple 0.6, tools 0.2, interruptions 0.1, falseAlarms 0.1. */
  weights?: Partial<ScenarioWeights>;
  /** Your own scenarios, added to the mix with their weights. */
  scenarios?: readonly WeightedScenario[];
  /** Callers start spread evenly over this many seconds (0: all at once, as the old script). Default 0. */
  rampUpS?: number;
  /** Pause between a caller's turns, seconds, uniform in [min, max]. Default 0.5-2. */
  thinkTimeS?: { min: number; max: number };
  /** Makes the scenario mix, file choice and timings reproducible. Default: random (recorded). */
  seed?: number;
  /** Directory of WAV clips by role (manifest.json or file names). Default: the bundled fixtures. */
  audioDir?: string;
  /** Speak digital silence, as the old script did. */
  silence?: boolean;
  /** Use these clips instead of a directory (library API). */
  audioLibrary?: AudioLibrary;
  /** What speech_end carries. Default PCM16 at 16 kHz in 20 ms frames. */
  wireFormat?: WireFormat;
  /** How to read headerless play_audio payloads. Default: the wire format. */
  replyFormat?: ReplyAudioFormat;
  /** Seconds. Defaults: simple 30, tool 45, interruption 15, falseAlarm 15, connect 10. */
  timeoutsS?: Partial<{ simple: number; tool: number; interruption: number; falseAlarm: number; connect: number }>;
  /** Without an end event, a reply ends after this much audio silence (not measured). Default 1000. */
  idleMs?: number;
  /** A mid-reply dry spell this long fails the turn (audio_gap); 0 disables. Default 80. */
  maxGapMs?: number;
  /** How a reply's end is found. Default "auto". */
  replyEnd?: "auto" | "done" | "idle";
  /** Extra handshake headers (e.g. Authorization); values are redacted in every output. */
  headers?: Readonly<Record<string, string>>;
  /** Accept self-signed TLS certificates. */
  insecure?: boolean;
  /**
   * Retry a failed connect with backoff (100 ms doubling to 2 s) within the turn's timeout, and let
   * a caller whose connect failed try again on its next turn. Off by default: as the old script,
   * a caller whose connection fails loses its remaining turns.
   */
  reconnect?: boolean;
  /** Largest server message accepted. Default 64 MiB. */
  maxMessageBytes?: number;
  /** The run is invalid (exit 3) when the generator's event-loop or send lag p99 exceeds this. Default 25. */
  maxLagMs?: number;
  /** Stops the run: no new turns; turns in flight end as "cancelled". */
  signal?: AbortSignal;
  /** Called after every turn. */
  onTurn?: (record: TurnRecord, progress: RunProgress) => void;
  /** Names the run (and its export folder). Default: time-based. */
  runId?: string;
  /** Apply one of the old guide's target sets. */
  targets?: TargetSet;
  /** k6-like pass/fail rules, e.g. "ttft.p95<2500", "success_rate>0.99", "interruption.stop.p95<500". */
  thresholds?: readonly string[];
}

/** The effective configuration of a run (recorded in summary.json, secrets redacted there). */
export interface RunConfig {
  readonly server: string;
  readonly concurrency: number;
  readonly requests: number;
  readonly rampUpS: number;
  readonly weights: ScenarioWeights;
  readonly customScenarios: readonly { name: string; weight: number }[];
  readonly thinkTimeS: { readonly min: number; readonly max: number };
  readonly seed: number;
  readonly audio: string;
  readonly wireFormat: WireFormat;
  readonly replyFormat: ReplyAudioFormat;
  readonly timeoutsS: { readonly simple: number; readonly tool: number; readonly interruption: number; readonly falseAlarm: number; readonly connect: number };
  readonly idleMs: number;
  readonly maxGapMs: number;
  readonly replyEnd: "auto" | "done" | "idle";
  readonly headers: Readonly<Record<string, string>>;
  readonly insecure: boolean;
  readonly reconnect: boolean;
  readonly maxMessageBytes: number;
  readonly maxLagMs: number;
  readonly targets: TargetSet | null;
  readonly thresholds: readonly string[];
}

/** The old script's defaults, kept. */
export const RUN_DEFAULTS = {
  server: "ws://localhost:8000/ws",
  concurrency: 10,
  requests: 5,
  weights: { simple: 0.6, tools: 0.2, interruptions: 0.1, falseAlarms: 0.1 },
  thinkTimeS: { min: 0.5, max: 2 },
  wireFormat: { encoding: "pcm16", sampleRateHz: 16000, frameMs: DEFAULT_FRAME_MS } as WireFormat,
  timeoutsS: { simple: 30, tool: 45, interruption: 15, falseAlarm: 15, connect: 10 },
  idleMs: 1000,
  maxGapMs: 80,
  maxMessageBytes: 64 * 1024 * 1024,
  maxLagMs: 25,
} as const;

/**
 * The most callers one process drives: each holds a socket, its audio state and its event log, and
 * far more real-time callers than this would only measure the generator's own lateness.
 */
export const MAX_CONCURRENCY = 10_000;
/** The most turns one run records (every turn's record is kept in memory until the exports). */
export const MAX_TURNS = 1_000_000;
/** Seeds are 32-bit: a larger one would silently wrap onto another seed's sequence. */
export const MAX_SEED = 0xffffffff;

/** A header name is an HTTP token; a value may not hold control characters (CR/LF would split the request). */
function checkHeaders(headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError("--header: a header name may use letters, digits and !#$%&'*+.^_`|~- only");
    if (/[\r\n]/.test(value)) throw new UsageError(`--header "${name}": the value contains a line break (CR or LF), which HTTP does not allow`);
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) throw new UsageError(`--header "${name}": the value contains a control character, which HTTP does not allow`);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${name} must be a whole number of at least 1 (got ${value})`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) throw new UsageError(`${name} must be a number of at least 0 (got ${value})`);
  return value;
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`${name} must be greater than 0 (got ${value})`);
  return value;
}

function checkTargets(targets: string | undefined): TargetSet | null {
  if (targets === undefined) return null;
  if (!TARGET_SETS.includes(targets as TargetSet)) throw new UsageError(`--targets must be ${TARGET_SETS.join(" or ")} (got "${targets}")`);
  return targets as TargetSet;
}

/**
 * Validates options and fills in defaults; every problem is a UsageError naming the option.
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./options.ts";
 * console.log(resolveRunConfig({ seed: 1 }).concurrency); // 10
 * ```
 */
export function resolveRunConfig(options: RunOptions, audioSource: string): RunConfig {
  const server = options.server ?? RUN_DEFAULTS.server;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server must be a ws:// or wss:// URL (got "${redactUrl(server)}")`);
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new UsageError(`--server must be a ws:// or wss:// URL (got "${redactUrl(server)}")`);
  }
  if (server.includes("#")) throw new UsageError("--server must not have a #fragment: WebSocket URLs cannot carry one");
  const weights = { ...RUN_DEFAULTS.weights, ...options.weights };
  nonNegative("--simple", weights.simple);
  nonNegative("--tools", weights.tools);
  nonNegative("--interruptions", weights.interruptions);
  nonNegative("--false-alarms", weights.falseAlarms);
  const thinkTimeS = options.thinkTimeS ?? RUN_DEFAULTS.thinkTimeS;
  nonNegative("--think-time", thinkTimeS.min);
  if (!(thinkTimeS.max >= thinkTimeS.min)) throw new UsageError("--think-time: the range's end must not be below its start");
  const timeoutsS = { ...RUN_DEFAULTS.timeoutsS, ...options.timeoutsS };
  positive("--timeout-simple", timeoutsS.simple);
  positive("--timeout-tool", timeoutsS.tool);
  positive("--timeout-interruption", timeoutsS.interruption);
  positive("--timeout-false-alarm", timeoutsS.falseAlarm);
  positive("--connect-timeout", timeoutsS.connect);
  const givenFormat = options.wireFormat ?? RUN_DEFAULTS.wireFormat;
  const problem = wireFormatProblem({ encoding: givenFormat.encoding, sampleRateHz: givenFormat.sampleRateHz });
  if (problem) throw new UsageError(`--sample-rate/--encoding: ${problem}`);
  const frameMs = givenFormat.frameMs ?? DEFAULT_FRAME_MS;
  const framing = frameProblem(frameMs, givenFormat.sampleRateHz);
  if (framing) throw new UsageError(`--frame-ms: ${framing}`);
  const wireFormat: WireFormat = { encoding: givenFormat.encoding, sampleRateHz: givenFormat.sampleRateHz, frameMs };
  const replyFormat = options.replyFormat ?? { encoding: wireFormat.encoding, sampleRateHz: wireFormat.sampleRateHz };
  positiveInteger("--reply-sample-rate", replyFormat.sampleRateHz);
  const seed = options.seed ?? randomSeed();
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a whole number of at least 0 (got ${seed})`);
  if (seed > MAX_SEED) throw new UsageError(`--seed must be at most ${MAX_SEED} (got ${seed}): seeds are 32-bit`);
  const concurrency = positiveInteger("--concurrency", options.concurrency ?? RUN_DEFAULTS.concurrency);
  if (concurrency > MAX_CONCURRENCY) {
    throw new UsageError(`--concurrency ${concurrency} is more callers than one process can drive in real time (at most ${MAX_CONCURRENCY})`);
  }
  const requests = positiveInteger("--requests", options.requests ?? RUN_DEFAULTS.requests);
  if (concurrency * requests > MAX_TURNS) {
    throw new UsageError(`--concurrency x --requests is ${concurrency * requests} turns; one run records at most ${MAX_TURNS}`);
  }
  const headers = { ...options.headers };
  checkHeaders(headers);
  const replyEnd = options.replyEnd ?? "auto";
  if (!["auto", "done", "idle"].includes(replyEnd)) throw new UsageError(`--reply-end must be auto, done or idle (got ${replyEnd})`);
  return {
    server,
    concurrency,
    requests,
    rampUpS: nonNegative("--ramp-up", options.rampUpS ?? 0),
    weights,
    customScenarios: (options.scenarios ?? []).map((entry) => ({ name: entry.scenario.name, weight: entry.weight })),
    thinkTimeS: { min: thinkTimeS.min, max: thinkTimeS.max },
    seed,
    audio: audioSource,
    wireFormat,
    replyFormat,
    timeoutsS,
    idleMs: positive("--idle-ms", options.idleMs ?? RUN_DEFAULTS.idleMs),
    maxGapMs: nonNegative("--max-gap-ms", options.maxGapMs ?? RUN_DEFAULTS.maxGapMs),
    replyEnd,
    headers,
    insecure: options.insecure ?? false,
    reconnect: options.reconnect ?? false,
    maxMessageBytes: positiveInteger("--max-message-bytes", options.maxMessageBytes ?? RUN_DEFAULTS.maxMessageBytes),
    maxLagMs: positive("--max-lag-ms", options.maxLagMs ?? RUN_DEFAULTS.maxLagMs),
    targets: checkTargets(options.targets),
    thresholds: [...(options.thresholds ?? [])],
  };
}
