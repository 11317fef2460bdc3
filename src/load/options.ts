import type { AudioLibrary } from "../audio/library.ts";
import { DEFAULT_FRAME_MS } from "../audio/frames.ts";
import { frameProblem, type WireFormat, wireFormatProblem } from "../audio/wire-format.ts";
import { availableParallelism } from "node:os";
import { UsageError } from "../common/errors.ts";
import { redactUrl } from "../common/redact.ts";
import { randomSeed } from "../common/random.ts";
import type { TurnRecord } from "../metrics/turn-record.ts";
import type { ProtocolAdapter, ReplyAudioFormat } from "../protocols/adapter.ts";
import { resolveProtocol } from "../protocols/registry.ts";
import type { Scenario } from "../scenarios/define.ts";
import {
  BUILT_IN_SCENARIOS,
  DEFAULT_MIX,
  scenarioMix,
  type ScenarioWeights,
  TIMEOUT_KEYS,
  WEIGHT_KEYS,
  type WeightedScenario,
} from "../scenarios/registry.ts";
import { TARGET_SETS, type TargetSet } from "../metrics/targets.ts";
import { parseStages, type Stage, stagesDurationS } from "./stages.ts";

/** Progress handed to `onTurn` after every finished turn. */
export interface RunProgress {
  readonly done: number;
  /** The turns expected in all; 0 when not known in advance (a closed run held for a duration). */
  readonly total: number;
  readonly failed: number;
}

/** Everything `run()` and `voxbench run` accept. Every field is optional. */
export interface RunOptions {
  /** Default ws://localhost:8000/ws. */
  server?: string;
  /**
   * The wire protocol: a name ("speech-events", the default, "twilio" or "pcm"), or an adapter object
   * for a protocol of your own (see ProtocolAdapter).
   */
  protocol?: string | ProtocolAdapter;
  /** Name/value pairs the protocol passes to the bot at the start of a call (Twilio's customParameters). */
  parameters?: Readonly<Record<string, string>>;
  /**
   * OpenAI Realtime: the API dialect ("ga", the default, or "beta") and the `session` sent in
   * session.update on open (or `sessionFile`, a JSON file holding it or a whole session.update).
   */
  realtime?: {
    readonly api?: "ga" | "beta";
    readonly session?: Readonly<Record<string, unknown>>;
    readonly sessionFile?: string;
  };
  /** Where the client runs the bot's tools (Realtime's function calls): how long each takes before its output is sent, ms. Default 0. */
  toolResultMs?: number;
  /**
   * Open model: calls start at this many a second for `durationS`, however the bot copes (a
   * Poisson process by default), instead of `concurrency` callers. Each call is one connection
   * holding a conversation of `turnsPerCall` turns, then hanging up.
   */
  arrivalRate?: number;
  /**
   * Open model: how long calls keep arriving, seconds (the run then waits for the calls in
   * progress). Closed model: how long callers keep taking turns; none begins after it, and
   * `requests` (then unbounded by default) caps each caller's turns.
   */
  durationS?: number;
  /**
   * Stages (e.g. "30s:10,2m:10,30s:50,1m:0", or a list of { durationS, target }), linear within
   * each; their total is the duration. Open model: arrival rates, from `arrivalRate`. Closed
   * model: callers in progress, from `concurrency` (default 0).
   */
  stages?: string | readonly Stage[];
  /** Open model: "poisson" (default) or "uniform" (evenly spaced) arrivals. */
  arrivals?: "poisson" | "uniform";
  /** Open model: at most this many calls at once; an arrival beyond it is dropped and counted (dropped_calls), never delayed. Default 10,000. */
  maxCalls?: number;
  /** Open model: turns in each call, a number or a range (uniform, seeded). Default: `requests`. */
  turnsPerCall?: number | { readonly min: number; readonly max: number };
  /** The timeline's window: the run's figures are also kept window by window (summary.json's `timeline`, timeline.csv), seconds. Default 5. */
  windowS?: number;
  /** Simultaneous callers, one connection each. Default 10. */
  concurrency?: number;
  /** Turns per caller. Default 5. */
  requests?: number;
  /** The four built-in scenarios' weights (default simple 0.6, tools 0.2, interruptions 0.1, falseAlarms 0.1, load_test.py's mix). */
  weights?: Partial<ScenarioWeights>;
  /** Weights by scenario name (simple_query, tool_call, interruption, false_alarm, yours); they win over `weights`. */
  mix?: Readonly<Record<string, number>>;
  /** Your own scenarios, added to the mix with their weights. */
  scenarios?: readonly WeightedScenario[];
  /** Callers start spread evenly over this many seconds (0: all at once, as load_test.py). Default 0. */
  rampUpS?: number;
  /** Pause between a caller's turns, seconds, uniform in [min, max]. Default 0.5-2. */
  thinkTimeS?: { min: number; max: number };
  /** Makes the scenario mix, file choice and timings reproducible. Default: random (recorded). */
  seed?: number;
  /** Directory of WAV clips by role (manifest.json or file names). Default: the bundled fixtures. */
  audioDir?: string;
  /** Speak digital silence (load_test.py's audio; real bots hear nothing). */
  silence?: boolean;
  /** Use these clips instead of a directory (library API). */
  audioLibrary?: AudioLibrary;
  /** The caller's audio: what speech_end carries, or each streamed frame. Default PCM16 at 16 kHz in 20 ms frames (a protocol may fix it: Twilio is mu-law 8 kHz). */
  wireFormat?: WireFormat;
  /** How to read headerless play_audio payloads. Default: the wire format. */
  replyFormat?: ReplyAudioFormat;
  /**
   * Seconds, by scenario name (each scenario's own by default: simple_query 30, tool_call 45,
   * interruption 15, false_alarm 15), the old names simple, tool, interruption and falseAlarm,
   * and connect (default 10).
   */
  timeoutsS?: Readonly<Record<string, number>>;
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
   * a caller whose connect failed try again on its next turn. Off by default: as load_test.py,
   * a caller whose connection fails loses its remaining turns.
   */
  reconnect?: boolean;
  /** Largest server message accepted. Default 64 MiB. */
  maxMessageBytes?: number;
  /** The run is invalid (exit 3) when the generator's event-loop or send lag p99 exceeds this. Default 25. */
  maxLagMs?: number;
  /**
   * Spread the callers over this many worker threads, each with its own event loop ("auto": one
   * per available core). Default 1: every caller in the calling thread. Needs built-in scenarios
   * and protocols (a function cannot cross to another thread).
   */
  workers?: number | "auto";
  /** Stops the run: no new turns; turns in flight end as "cancelled". */
  signal?: AbortSignal;
  /** Called after every turn. */
  onTurn?: (record: TurnRecord, progress: RunProgress) => void;
  /** Told of every call starting (+1) and ending (-1), in any worker: the calls in progress. */
  onCallsChange?: (delta: 1 | -1) => void;
  /** Names the run (and its export folder). Default: time-based. */
  runId?: string;
  /**
   * Makes this run one shard of a bigger test: shard `index` (from 0) of `count` drives the test's
   * callers k with k mod count = index, with the same seed, and exports as
   * `<runId>-shard-<index>-of-<count>` for `voxbench merge`. Needs a runId shared by every shard.
   */
  shard?: { readonly index: number; readonly count: number };
  /** Apply one of the old guide's target sets. */
  targets?: TargetSet;
  /** k6-like pass/fail rules, e.g. "ttft.p95<2500", "success_rate>0.99", "interruption.stop.p95<500". */
  thresholds?: readonly string[];
}

/** The effective configuration of a run (recorded in summary.json, secrets redacted there). */
export interface RunConfig {
  readonly server: string;
  /** The protocol's name. */
  readonly protocol: string;
  /** The protocol's own settings as run (Realtime's API and session), null when it has none. */
  readonly protocolSettings: Readonly<Record<string, unknown>> | null;
  readonly parameters: Readonly<Record<string, string>>;
  /** How long a client-run tool takes before its output is sent (Realtime), ms. */
  readonly toolResultMs: number;
  readonly concurrency: number;
  readonly requests: number;
  readonly rampUpS: number;
  /** Weight of every scenario, by name (0: not in the mix). */
  readonly mix: Readonly<Record<string, number>>;
  readonly thinkTimeS: { readonly min: number; readonly max: number };
  readonly seed: number;
  /** The timeline's window, seconds. */
  readonly windowS: number;
  /** The open model's load (arrivals of calls), null for the closed model (`concurrency` callers). */
  readonly open: OpenLoad | null;
  /** Closed model: no caller begins a turn after this many seconds from the start; null: no limit. */
  readonly durationS: number | null;
  /**
   * Closed model with stages: the callers in progress ramp from `from` through the stages (caller k,
   * from 0, takes turns while the target is at least k + 1); null without stages.
   */
  readonly closedStages: { readonly from: number; readonly stages: readonly Stage[] } | null;
  /** Set when the run is one shard of a bigger test. */
  readonly shard: { readonly index: number; readonly count: number; readonly testRunId: string } | null;
  readonly audio: string;
  readonly wireFormat: WireFormat;
  readonly replyFormat: ReplyAudioFormat;
  /** Timeout of every scenario, by name. */
  readonly timeoutsS: Readonly<Record<string, number>>;
  readonly connectTimeoutS: number;
  readonly idleMs: number;
  readonly maxGapMs: number;
  readonly replyEnd: "auto" | "done" | "idle";
  readonly headers: Readonly<Record<string, string>>;
  readonly insecure: boolean;
  readonly reconnect: boolean;
  readonly maxMessageBytes: number;
  readonly maxLagMs: number;
  /** Worker threads the callers are spread over (1: none). */
  readonly workers: number;
  readonly targets: TargetSet | null;
  readonly thresholds: readonly string[];
}

/** The run's defaults: load_test.py's, so its commands give the same load. */
export const RUN_DEFAULTS = {
  server: "ws://localhost:8000/ws",
  concurrency: 10,
  requests: 5,
  mix: DEFAULT_MIX,
  thinkTimeS: { min: 0.5, max: 2 },
  wireFormat: { encoding: "pcm16", sampleRateHz: 16000, frameMs: DEFAULT_FRAME_MS } as WireFormat,
  connectTimeoutS: 10,
  idleMs: 1000,
  maxGapMs: 80,
  maxMessageBytes: 64 * 1024 * 1024,
  maxLagMs: 25,
  rampUpS: 0,
  windowS: 5,
  toolResultMs: 0,
  workers: 1,
  replyEnd: "auto",
  arrivals: "poisson",
  reconnect: false,
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
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError("--header: a header name may use letters, digits and !#$%&'*+.^_`|~- only");
    }
    if (/[\r\n]/.test(value)) {
      throw new UsageError(
        `--header "${name}": the value contains a line break (CR or LF), which HTTP does not allow`,
      );
    }
    if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value)) {
      throw new UsageError(
        `--header "${name}": the value contains a control character, which HTTP does not allow`,
      );
    }
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`${name} must be a whole number of at least 1 (got ${value})`);
  }
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new UsageError(`${name} must be a whole number of at least 0 (got ${value})`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new UsageError(`${name} must be a number of at least 0 (got ${value})`);
  }
  return value;
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new UsageError(`${name} must be greater than 0 (got ${value})`);
  }
  return value;
}

/**
 * Every scenario's timeout in seconds: its own default, overridden by the run's `timeoutsS` (by
 * scenario name, or by the old flag names simple, tool, interruption, falseAlarm).
 */
function resolveTimeouts(
  given: Readonly<Record<string, number>>,
  scenarios: readonly Scenario[],
): Record<string, number> {
  const timeouts: Record<string, number> = Object.fromEntries(
    scenarios.map((scenario) => [scenario.name, scenario.timeoutS]),
  );
  for (const [key, seconds] of Object.entries(given)) {
    if (key === "connect") continue;
    const name = TIMEOUT_KEYS[key] ?? key;
    if (!(name in timeouts)) {
      throw new UsageError(
        `timeouts: "${key}" is not a scenario (known: ${Object.keys(timeouts).join(", ")}, connect)`,
      );
    }
    const flag = Object.hasOwn(TIMEOUT_KEYS, key)
      ? `--timeout-${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`
      : `the timeout of ${name}`;
    timeouts[name] = positive(flag, seconds);
  }
  return timeouts;
}

/** The shard of a test this run is, checked; null when it is a whole test. */
function resolveShard(options: RunOptions): RunConfig["shard"] {
  const shard = options.shard;
  if (!shard) return null;
  if (
    !Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0
  ) {
    throw new UsageError(`--shard must look like INDEX/COUNT, e.g. 0/3 (got ${shard.index}/${shard.count})`);
  }
  if (shard.index >= shard.count) {
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: the index counts from 0, so it must be below ${shard.count}`,
    );
  }
  if (options.runId === undefined) {
    throw new UsageError(
      "--shard needs --run-id, the same for every shard of the test, so that their results can be merged",
    );
  }
  return { index: shard.index, count: shard.count, testRunId: options.runId };
}

/** A 32-bit seed from a text (FNV-1a): the same for every shard of a test. */
function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  }
  return hash;
}

/** Worker threads for the run: "auto" is one per available core; never more than the callers. */
function resolveWorkers(options: RunOptions, concurrency: number): number {
  const given = options.workers ?? RUN_DEFAULTS.workers;
  const workers = given === "auto" ? availableParallelism() : given;
  if (!Number.isInteger(workers) || workers < 1) {
    throw new UsageError(`--workers must be a whole number of at least 1, or auto (got ${String(given)})`);
  }
  if (workers > 1) {
    const crossing = (options.scenarios ?? []).length > 0
      ? "custom scenarios"
      : typeof options.protocol === "object"
      ? "a custom protocol adapter"
      : options.audioLibrary
      ? "an audioLibrary object"
      : undefined;
    if (crossing) {
      throw new UsageError(
        `--workers ${workers}: ${crossing} cannot cross to worker threads; run them with workers: 1`,
      );
    }
  }
  return Math.min(workers, concurrency);
}

function checkTargets(targets: string | undefined): TargetSet | null {
  if (targets === undefined) return null;
  if (!TARGET_SETS.includes(targets as TargetSet)) {
    throw new UsageError(`--targets must be ${TARGET_SETS.join(" or ")} (got "${targets}")`);
  }
  return targets as TargetSet;
}

/**
 * The protocol of a run with its settings (a Realtime session given inline; a session file must
 * have been read into `realtime.session` first, as prepareRun does).
 *
 * @throws {UsageError}
 */
export function protocolOf(options: RunOptions): ProtocolAdapter {
  const realtime = options.realtime;
  if (realtime === undefined) return resolveProtocol(options.protocol);
  if (realtime.api !== undefined && realtime.api !== "ga" && realtime.api !== "beta") {
    throw new UsageError(`--realtime-api must be ga or beta (got ${String(realtime.api)})`);
  }
  return resolveProtocol(options.protocol, {
    realtime: {
      ...(realtime.api ? { api: realtime.api } : {}),
      ...(realtime.session ? { session: realtime.session } : {}),
    },
  });
}

/** An open-model load: calls arriving at a rate, each a conversation of a few turns. */
export interface OpenLoad {
  readonly arrivalRatePerS: number;
  readonly durationS: number;
  readonly arrivals: "poisson" | "uniform";
  readonly maxCalls: number;
  readonly turnsPerCall: { readonly min: number; readonly max: number };
  /** The rate's stages (from arrivalRatePerS), or null for a constant rate. */
  readonly stages: readonly Stage[] | null;
}

/** The open model's settings, checked; null when the run uses the closed model. */
/** Stages from the flag's text or a list, checked. */
function parseStagesOption(stages: string | readonly Stage[]): Stage[] {
  return typeof stages === "string"
    ? parseStages(stages)
    : parseStages(stages.map((stage) => `${stage.durationS}:${stage.target}`).join(","));
}

function resolveOpenLoad(options: RunOptions): OpenLoad | null {
  const stages = options.stages === undefined ? null : parseStagesOption(options.stages);
  const given = ["arrivals", "maxCalls", "turnsPerCall"].filter((key) =>
    options[key as keyof RunOptions] !== undefined
  );
  if (options.arrivalRate === undefined) {
    if (stages && options.durationS !== undefined) {
      throw new UsageError(
        "--duration and --stages cannot be used together: the stages' durations add up to the run's",
      );
    }
    if (given.length > 0) {
      throw new UsageError(
        `--arrivals, --max-calls and --turns-per-call are for the open model: give --arrival-rate too`,
      );
    }
    return null;
  }
  if (options.concurrency !== undefined) {
    throw new UsageError(
      "--arrival-rate and --concurrency cannot be used together: the open model starts calls at a rate, the closed model keeps a number of callers (use --max-calls to cap open calls)",
    );
  }
  const arrivalRatePerS = stages
    ? nonNegative("--arrival-rate", options.arrivalRate)
    : positive("--arrival-rate", options.arrivalRate);
  if (stages && options.durationS !== undefined) {
    throw new UsageError(
      "--duration and --stages cannot be used together: the stages' durations add up to the run's",
    );
  }
  if (!stages && options.durationS === undefined) {
    throw new UsageError("--arrival-rate needs --duration: how long calls keep arriving (e.g. 2m)");
  }
  const durationS = stages ? stagesDurationS(stages) : positive("--duration", options.durationS ?? 0);
  const arrivals = options.arrivals ?? RUN_DEFAULTS.arrivals;
  if (arrivals !== "poisson" && arrivals !== "uniform") {
    throw new UsageError(`--arrivals must be poisson or uniform (got ${String(arrivals)})`);
  }
  const maxCalls = positiveInteger("--max-calls", options.maxCalls ?? MAX_CONCURRENCY);
  if (maxCalls > MAX_CONCURRENCY) {
    throw new UsageError(
      `--max-calls ${maxCalls} is more calls than one process can drive in real time (at most ${MAX_CONCURRENCY})`,
    );
  }
  const turns = options.turnsPerCall ?? options.requests ?? RUN_DEFAULTS.requests;
  const turnsPerCall = typeof turns === "number" ? { min: turns, max: turns } : turns;
  positiveInteger("--turns-per-call", turnsPerCall.min);
  positiveInteger("--turns-per-call", turnsPerCall.max);
  if (turnsPerCall.max < turnsPerCall.min) {
    throw new UsageError("--turns-per-call: the range's end must not be below its start");
  }
  const peakRatePerS = Math.max(arrivalRatePerS, ...(stages ?? []).map((stage) => stage.target));
  const expectedTurns = peakRatePerS * durationS * turnsPerCall.max;
  if (expectedTurns > MAX_TURNS) {
    throw new UsageError(
      `--arrival-rate x --duration x --turns-per-call is about ${
        Math.round(expectedTurns)
      } turns; one run records at most ${MAX_TURNS}`,
    );
  }
  if (options.shard) {
    throw new UsageError(
      "--shard is for the closed model; the open model (--arrival-rate) runs in one process",
    );
  }
  if (options.workers !== undefined && options.workers !== 1) {
    throw new UsageError(
      "--workers is for the closed model; the open model (--arrival-rate) runs in one thread",
    );
  }
  return { arrivalRatePerS, durationS, arrivals, maxCalls, turnsPerCall, stages };
}

/**
 * Validates options and fills in defaults; every problem is a UsageError naming the option.
 *
 * @example
 * ```ts
 * import { resolveRunConfig } from "./options.ts";
 * console.log(resolveRunConfig({ seed: 1 }, "bundled fixtures").concurrency); // 10
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
  if (server.includes("#")) {
    throw new UsageError("--server must not have a #fragment: WebSocket URLs cannot carry one");
  }
  const protocol = protocolOf(options);
  const custom = options.scenarios ?? [];
  const mix: Record<string, number> = { ...RUN_DEFAULTS.mix };
  for (const [key, weight] of Object.entries(options.weights ?? {})) {
    const name = WEIGHT_KEYS[key as keyof ScenarioWeights];
    if (name === undefined) {
      throw new UsageError(`weights: unknown key "${key}" (known: ${Object.keys(WEIGHT_KEYS).join(", ")})`);
    }
    mix[name] = nonNegative(`--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`, weight);
  }
  for (const entry of custom) mix[entry.scenario.name] = entry.weight;
  Object.assign(mix, options.mix);
  // Checks every weight now, so the run's config holds a valid mix.
  scenarioMix(mix, custom.map((entry) => entry.scenario));
  const thinkTimeS = options.thinkTimeS ?? RUN_DEFAULTS.thinkTimeS;
  nonNegative("--think-time", thinkTimeS.min);
  if (!(thinkTimeS.max >= thinkTimeS.min)) {
    throw new UsageError("--think-time: the range's end must not be below its start");
  }
  const timeoutsS = resolveTimeouts(options.timeoutsS ?? {}, [
    ...BUILT_IN_SCENARIOS,
    ...custom.map((entry) => entry.scenario),
  ]);
  const connectTimeoutS = positive(
    "--connect-timeout",
    options.timeoutsS?.connect ?? RUN_DEFAULTS.connectTimeoutS,
  );
  const requestedFormat = options.wireFormat ?? RUN_DEFAULTS.wireFormat;
  const givenFormat = protocol.callerFormat({
    ...requestedFormat,
    frameMs: requestedFormat.frameMs ?? DEFAULT_FRAME_MS,
  });
  const problem = wireFormatProblem({
    encoding: givenFormat.encoding,
    sampleRateHz: givenFormat.sampleRateHz,
  });
  if (problem) throw new UsageError(`--sample-rate/--encoding: ${problem}`);
  const frameMs = givenFormat.frameMs ?? DEFAULT_FRAME_MS;
  const framing = frameProblem(frameMs, givenFormat.sampleRateHz);
  if (framing) throw new UsageError(`--frame-ms: ${framing}`);
  const wireFormat: WireFormat = {
    encoding: givenFormat.encoding,
    sampleRateHz: givenFormat.sampleRateHz,
    frameMs,
  };
  const replyFormat = protocol.replyFormat(
    options.replyFormat ?? { encoding: wireFormat.encoding, sampleRateHz: wireFormat.sampleRateHz },
  );
  positiveInteger("--reply-sample-rate", replyFormat.sampleRateHz);
  const parameters = { ...options.parameters };
  for (const [name, value] of Object.entries(parameters)) {
    if (name === "" || typeof value !== "string") throw new UsageError("--param must look like name=value");
  }
  const shard = resolveShard(options);
  // Every shard of a test must draw the same: without a seed, one is derived from the test's run id.
  const seed = options.seed ?? (shard ? seedOf(shard.testRunId) : randomSeed());
  if (!Number.isInteger(seed) || seed < 0) {
    throw new UsageError(`--seed must be a whole number of at least 0 (got ${seed})`);
  }
  if (seed > MAX_SEED) {
    throw new UsageError(`--seed must be at most ${MAX_SEED} (got ${seed}): seeds are 32-bit`);
  }
  const open = resolveOpenLoad(options);
  const closedStages = open || options.stages === undefined ? null : {
    from: nonNegativeInteger("--concurrency", options.concurrency ?? 0),
    stages: parseStagesOption(options.stages),
  };
  if (closedStages && options.rampUpS !== undefined && options.rampUpS > 0) {
    throw new UsageError("--ramp-up and --stages cannot be used together: the stages ramp the callers up");
  }
  const closedDurationS = closedStages
    ? stagesDurationS(closedStages.stages)
    : open || options.durationS === undefined
    ? null
    : positive("--duration", options.durationS);
  // The open model's callers are its calls: at most maxCalls at once, of up to turnsPerCall.max
  // turns. Closed stages need as many callers as their highest target.
  const concurrency = open ? open.maxCalls : closedStages
    ? Math.max(
      1,
      Math.floor(Math.max(closedStages.from, ...closedStages.stages.map((stage) => stage.target))),
    )
    : positiveInteger("--concurrency", options.concurrency ?? RUN_DEFAULTS.concurrency);
  if (concurrency > MAX_CONCURRENCY) {
    throw new UsageError(
      `--concurrency ${concurrency} is more callers than one process can drive in real time (at most ${MAX_CONCURRENCY})`,
    );
  }
  // Held for a duration, a caller's turns are bounded by time; --requests may still cap them.
  const requests = open ? open.turnsPerCall.max : positiveInteger(
    "--requests",
    options.requests ??
      (closedDurationS === null ? RUN_DEFAULTS.requests : Math.floor(MAX_TURNS / concurrency)),
  );
  if (!open && concurrency * requests > MAX_TURNS) {
    throw new UsageError(
      `--concurrency x --requests is ${concurrency * requests} turns; one run records at most ${MAX_TURNS}`,
    );
  }
  const headers = { ...options.headers };
  checkHeaders(headers);
  const replyEnd = options.replyEnd ?? RUN_DEFAULTS.replyEnd;
  if (!["auto", "done", "idle"].includes(replyEnd)) {
    throw new UsageError(`--reply-end must be auto, done or idle (got ${replyEnd})`);
  }
  return {
    server,
    protocol: protocol.name,
    protocolSettings: protocol.settings ?? null,
    parameters,
    toolResultMs: nonNegative("--tool-result-ms", options.toolResultMs ?? RUN_DEFAULTS.toolResultMs),
    concurrency,
    requests,
    rampUpS: nonNegative("--ramp-up", options.rampUpS ?? RUN_DEFAULTS.rampUpS),
    mix,
    thinkTimeS: { min: thinkTimeS.min, max: thinkTimeS.max },
    seed,
    windowS: positive("--window", options.windowS ?? RUN_DEFAULTS.windowS),
    open,
    durationS: closedDurationS,
    closedStages,
    shard,
    audio: audioSource,
    wireFormat,
    replyFormat,
    timeoutsS,
    connectTimeoutS,
    idleMs: positive("--idle-ms", options.idleMs ?? RUN_DEFAULTS.idleMs),
    maxGapMs: nonNegative("--max-gap-ms", options.maxGapMs ?? RUN_DEFAULTS.maxGapMs),
    replyEnd,
    headers,
    insecure: options.insecure ?? false,
    reconnect: options.reconnect ?? RUN_DEFAULTS.reconnect,
    maxMessageBytes: positiveInteger(
      "--max-message-bytes",
      options.maxMessageBytes ?? RUN_DEFAULTS.maxMessageBytes,
    ),
    maxLagMs: positive("--max-lag-ms", options.maxLagMs ?? RUN_DEFAULTS.maxLagMs),
    workers: resolveWorkers(options, concurrency),
    targets: checkTargets(options.targets),
    thresholds: [...(options.thresholds ?? [])],
  };
}
