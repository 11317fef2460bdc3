import { setMaxListeners } from "node:events";
import { type AudioLibrary, bundledFixturesDir, loadAudioLibrary, silenceLibrary } from "../audio/library.ts";
import { sleepUntil } from "../audio/pacer.ts";
import { monotonicNowMs, toEpochMs } from "../common/clock.ts";
import { callerScheduler } from "../common/deadline-scheduler.ts";
import { UsageError } from "../common/errors.ts";
import { createRedactor, redactHeaders } from "../common/redact.ts";
import { showControlCharacters } from "../common/printable.ts";
import { currentRuntime, type RuntimeInfo } from "../common/runtime.ts";
import { type RunSummary, summarizeRun } from "../metrics/summary.ts";
import { evaluateVerdicts } from "../metrics/targets.ts";
import { parseThreshold, type Rule, type Verdict } from "../metrics/verdicts.ts";
import type { TurnRecord } from "../metrics/turn-record.ts";
import type { ProtocolAdapter } from "../protocols/adapter.ts";
import { readRealtimeSession } from "../protocols/openai-realtime/session-file.ts";
import { scenarioMix, type WeightedScenario } from "../scenarios/registry.ts";
import type { Session } from "../session/session.ts";
import { VERSION } from "../version.ts";
import { type ClientDeps, runClient } from "./client-loop.ts";
import { arrivalSchedule } from "./arrivals.ts";
import { firstTimeAtLeastS, targetAt } from "./stages.ts";
import {
  mergeTimelines,
  summarizeTimeline,
  TimelineRecorder,
  type TimelineSamples,
  type TimelineWindow,
} from "../metrics/timeline.ts";
import {
  type GeneratorHealth,
  HealthMonitor,
  type HealthSamples,
  judgeLoop,
  mergeSamples,
  ProcessWatch,
} from "./health.ts";
import { runInWorkers } from "./workers.ts";
import { type OpenLoad, protocolOf, resolveRunConfig, type RunConfig, type RunOptions } from "./options.ts";

/** Version of the summary.json layout; bumped on any incompatible change. */
export const SUMMARY_SCHEMA_VERSION = 1;

/** What a run produced: everything summary.json holds, plus every turn (turns.csv). */
export interface RunResult {
  readonly schemaVersion: number;
  readonly tool: { readonly name: "voxbench"; readonly version: string };
  readonly runtime: RuntimeInfo;
  readonly runId: string;
  /** The effective configuration, secrets redacted. */
  readonly config: RunConfig;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  /** True when the run was stopped early (Ctrl-C): the results are partial. */
  readonly interrupted: boolean;
  /** How much of the load plan ran. */
  readonly turnCounts: TurnCounts;
  /** The open model's calls: how many arrived and started, and how many were dropped at --max-calls; null for the closed model. */
  readonly calls: CallCounts | null;
  /** The run window by window (--window), from the start; null for a merge of shards. */
  readonly timeline: readonly TimelineWindow[] | null;
  readonly summary: RunSummary;
  readonly health: GeneratorHealth;
  /** Targets, alarms and thresholds, each pass / warn / fail. */
  readonly verdicts: readonly Verdict[];
  readonly turns: readonly TurnRecord[];
  /** The scenarios' own turns.csv columns (Scenario.columns), after voxbench's. */
  readonly extraColumns: readonly string[];
  /** A shard's raw health samples (health-samples.json), so that `voxbench merge` merges them exactly. */
  readonly healthSamples?: HealthSamples;
}

/** An open-model run's calls. */
export interface CallCounts {
  /** Arrivals that started a call. */
  readonly started: number;
  /** Arrivals dropped because --max-calls calls were already in progress (never delayed). */
  readonly dropped: number;
  /** The turns the started calls were to hold (each call's drawn --turns-per-call). */
  readonly plannedTurns: number;
}

/**
 * How much of the load plan ran: `planned` turns (concurrency x requests); `started`, every turn
 * with a record (begun, or lost to a failed connection); `completed`, those that reached an outcome
 * other than cancelled. planned - started turns never began (the run was stopped first).
 */
export interface TurnCounts {
  readonly planned: number;
  readonly started: number;
  readonly completed: number;
}

/** A run id that sorts by time: 20261128-031500-ab12. */
export function makeRunId(date: Date = new Date()): string {
  const pad = (value: number): string => String(value).padStart(2, "0");
  const stamp = `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}-${
    pad(date.getUTCHours())
  }${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
  return `${stamp}-${Math.floor(Math.random() * 0x10000).toString(16).padStart(4, "0")}`;
}

async function loadLibrary(options: RunOptions): Promise<{ library: AudioLibrary; source: string }> {
  if (options.audioLibrary) return { library: options.audioLibrary, source: options.audioLibrary.source };
  if (options.silence) {
    const library = silenceLibrary(16000);
    return { library, source: "silence" };
  }
  const dir = options.audioDir ?? bundledFixturesDir();
  return { library: await loadAudioLibrary(dir), source: options.audioDir ?? "bundled fixtures" };
}

function checkRoles(mix: readonly WeightedScenario[], library: AudioLibrary): void {
  for (const { scenario } of mix) {
    for (const role of scenario.roles) {
      if (library.byRole(role).length === 0) {
        throw new UsageError(
          `${scenario.name} needs "${role}" clips, and ${
            showControlCharacters(library.source)
          } has none (add ${role}_*.wav files or set its weight to 0)`,
        );
      }
    }
  }
}

/**
 * Runs a load test (closed model): `concurrency` callers, one WebSocket each, each running
 * `requests` turns drawn from the scenario mix. Resolves to the same results the exports hold.
 *
 * @throws {UsageError} for invalid options or audio.
 * @example
 * ```ts
 * import { run } from "./runner.ts";
 * import { serve } from "../server/server.ts";
 * const server = await serve({ port: 0, replyDelayMs: 300, doneEvent: true });
 * const result = await run({ server: server.url, concurrency: 2, requests: 2, thinkTimeS: { min: 0, max: 0 } });
 * console.log(result.summary.turns, result.summary.metrics.ttft_ms?.median); // 4 ≈ 300
 * await server.close();
 * ```
 */
export async function run(options: RunOptions = {}): Promise<RunResult> {
  return executeRun(await prepareRun(options), options);
}

/** A run whose options and audio have been checked, ready to start. */
export interface PreparedRun {
  /** The options it was prepared from, without what cannot cross to a worker thread (signal, onTurn). */
  readonly options: RunOptions;
  readonly config: RunConfig;
  readonly mix: readonly WeightedScenario[];
  readonly library: AudioLibrary;
  readonly protocol: ProtocolAdapter;
  readonly runId: string;
  readonly thresholds: readonly Rule[];
}

/** Options with a Realtime session file read into the session it holds. */
async function withRealtimeSession(options: RunOptions): Promise<RunOptions> {
  const sessionFile = options.realtime?.sessionFile;
  if (sessionFile === undefined) return options;
  const { sessionFile: _file, ...realtime } = options.realtime ?? {};
  return { ...options, realtime: { ...realtime, session: await readRealtimeSession(sessionFile) } };
}

/**
 * Checks options and loads the audio without starting anything, so every usage error surfaces
 * before the first caller connects.
 *
 * @throws {UsageError}
 */
export async function prepareRun(options: RunOptions = {}): Promise<PreparedRun> {
  options = await withRealtimeSession(options);
  const { library, source } = await loadLibrary(options);
  const config = resolveRunConfig(options, source);
  const mix = scenarioMix(config.mix, (options.scenarios ?? []).map((entry) => entry.scenario));
  checkRoles(mix, library);
  const thresholds = config.thresholds.map((expression) =>
    parseThreshold(expression, Object.keys(config.timeoutsS))
  );
  const runId = config.shard
    ? `${config.shard.testRunId}-shard-${config.shard.index}-of-${config.shard.count}`
    : (options.runId ?? makeRunId());
  const { signal: _signal, onTurn: _onTurn, onCallsChange: _onCallsChange, ...portable } = options;
  // A worker prepares the same run from these: same seed, same run id (a shard's is derived again from the test's).
  return {
    options: { ...portable, seed: config.seed, ...(config.shard ? {} : { runId }) },
    config,
    mix,
    library,
    protocol: protocolOf(options),
    runId,
    thresholds,
  };
}

/**
 * The turns a share of `callers` callers is expected to take, for progress: a closed run held for a
 * duration has no such number (0).
 */
export function expectedTurnsOf(config: RunConfig, callers: number): number {
  if (config.open) {
    const { arrivalRatePerS, durationS, turnsPerCall } = config.open;
    // What the arrival rate should bring (a Poisson process varies).
    return Math.round(arrivalRatePerS * durationS * (turnsPerCall.min + turnsPerCall.max) / 2);
  }
  return config.durationS === null ? callers * config.requests : 0;
}

/** The test's callers this run drives: all of them, or a shard's (k mod count = index). */
export function callersOf(config: RunConfig): number[] {
  const all = Array.from({ length: config.concurrency }, (_, clientId) => clientId);
  return config.shard
    ? all.filter((clientId) => clientId % config.shard!.count === config.shard!.index)
    : all;
}

/** What one event loop's callers produced (in this thread, or in a worker). */
export interface CallersResult {
  readonly turns: TurnRecord[];
  readonly internalErrors: string[];
  readonly health: HealthSamples;
  /** Epoch ms (comparable across threads, whose monotonic clocks start at different times). */
  readonly startedAtEpochMs: number;
  readonly endedAtEpochMs: number;
  readonly interrupted: boolean;
  /** The open model's calls, when it ran. */
  readonly calls?: CallCounts;
  /** Window by window: calls, turns and raw latency samples (merged exactly across workers). */
  readonly timeline: TimelineSamples;
}

/** Which callers one event loop drives, and when the run's callers start. */
export interface CallerShare {
  /** Client ids driven here (default: all of the run's). */
  readonly clientIds?: readonly number[];
  /** When client 0 starts, epoch ms (default: now); client k starts its ramp-up share later. */
  readonly startAtEpochMs?: number;
}

/**
 * Drives a share of a run's callers in this event loop, watching its own health; resolves to their
 * turns and the raw health samples (what a worker sends back to be merged exactly).
 */
export async function runCallers(
  prepared: PreparedRun,
  options: Pick<RunOptions, "signal" | "onTurn" | "onCallsChange"> & CallerShare = {},
): Promise<CallersResult> {
  const { config, mix, library, runId } = prepared;
  const clientIds = options.clientIds ?? callersOf(config);
  const total = expectedTurnsOf(config, clientIds.length);
  const turns: TurnRecord[] = [];
  // Each caller's next turn index: a caller's later calls (closed stages) go on from it.
  const nextTurnIndex = new Map<number, number>();
  let failed = 0;
  const openSessions = new Set<Session>();
  // Built before the clock starts: compiling its patterns takes a few milliseconds per secret.
  const redactor = createRedactor(config.server, config.headers);
  const internalErrors: string[] = [];
  const cancel = new AbortController();
  // Every waiting caller listens on it: hundreds of listeners are expected, not a leak.
  setMaxListeners(0, cancel.signal);
  const isCancelled = (): boolean => cancel.signal.aborted;
  const onAbort = (): void => {
    cancel.abort();
    for (const session of openSessions) void session.close();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort, { once: true });

  // Every clip resampled and encoded for the wire now, not when a caller first speaks it: converting a
  // clip takes tens of ms (24 kHz), and callers starting together would stall each other's streams.
  for (const asset of library.assets) asset.encoded(config.wireFormat);
  const startedAtMs = options.startAtEpochMs === undefined
    ? monotonicNowMs()
    : options.startAtEpochMs - performance.timeOrigin;
  const timeline = new TimelineRecorder(startedAtMs, config.windowS * 1000);
  // Every loop-lag sample also lands in its window, so each window says whether voxbench kept up.
  const health = new HealthMonitor((atMs, lagMs) => timeline.loopLag(atMs, lagMs));
  health.start();
  const deps: ClientDeps = {
    runId,
    config,
    mix,
    library,
    protocol: prepared.protocol,
    connect: {
      url: config.server,
      connectTimeoutMs: config.connectTimeoutS * 1000,
      headers: { ...prepared.protocol.handshakeHeaders, ...config.headers },
      insecure: config.insecure,
      maxMessageBytes: config.maxMessageBytes,
    },
    timing: health,
    isCancelled,
    cancelSignal: cancel.signal,
    openSessions,
    emit: (record) => {
      // Text from the bot may echo a credential back (an error quoting the Authorization header).
      if (record.error !== null) record.error = redactor.text(record.error);
      if (record.session_id !== null) record.session_id = redactor.text(record.session_id);
      turns.push(record);
      nextTurnIndex.set(
        record.client_id,
        Math.max(nextTurnIndex.get(record.client_id) ?? 0, record.turn_index + 1),
      );
      timeline.turn(record, monotonicNowMs());
      if (record.outcome !== "ok") failed++;
      options.onTurn?.(record, { done: turns.length, total, failed });
    },
    ...(config.durationS === null ? {} : { mayBeginTurn: closedLoadGate(config, startedAtMs) }),
    onCallStart: (atMs) => {
      timeline.callStarted(atMs);
      options.onCallsChange?.(1);
    },
    onCallEnd: (atMs) => {
      timeline.callEnded(atMs);
      options.onCallsChange?.(-1);
    },
  };
  const startCaller = (
    clientId: number,
    startAtMs: number,
    callTurns?: number,
    call?: { readonly index: number; readonly firstTurnIndex: number },
  ): Promise<void> =>
    runClient(clientId, startAtMs, deps, callTurns, call).catch((error: unknown) => {
      // A bug must not lose the other callers' results: the run completes, marked not valid.
      internalErrors.push(`caller ${clientId}: ${redactor.error(error)}`);
    });
  let calls: CallCounts | undefined;
  try {
    if (config.open) {
      calls = await runArrivals(config.open, config.seed, startedAtMs, startCaller, cancel.signal, timeline);
    } else if (config.closedStages) {
      const stages = config.closedStages;
      // Caller k calls whenever the stages' target reaches k + 1, and hangs up once it falls below.
      const stagedCaller = async (clientId: number): Promise<void> => {
        for (let index = 0; !isCancelled(); index++) {
          const fromS = (monotonicNowMs() - startedAtMs) / 1000;
          const startS = firstTimeAtLeastS(stages.from, stages.stages, fromS, clientId + 1 - STAGE_TOLERANCE);
          const firstTurnIndex = nextTurnIndex.get(clientId) ?? 0;
          if (startS === null || firstTurnIndex >= config.requests) return;
          await startCaller(clientId, startedAtMs + startS * 1000, config.requests - firstTurnIndex, {
            index,
            firstTurnIndex,
          });
          // A call that could take no turn waits for the target's next rise, not in a loop.
          if ((nextTurnIndex.get(clientId) ?? 0) === firstTurnIndex) {
            await sleepUntil(monotonicNowMs() + STAGE_RECHECK_MS, callerScheduler, cancel.signal);
          }
        }
      };
      await Promise.all(clientIds.map(stagedCaller));
    } else {
      await Promise.all(
        clientIds.map((clientId) =>
          startCaller(clientId, startedAtMs + (clientId / config.concurrency) * config.rampUpS * 1000)
        ),
      );
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  const endedAtMs = monotonicNowMs();
  return {
    turns,
    internalErrors,
    health: health.stop(),
    startedAtEpochMs: toEpochMs(Math.min(startedAtMs, endedAtMs)),
    endedAtEpochMs: toEpochMs(endedAtMs),
    interrupted: isCancelled(),
    ...(calls ? { calls } : {}),
    timeline: timeline.samples(endedAtMs),
  };
}

/** Stage targets are compared with this much slack, so a caller is active exactly at its crossing. */
const STAGE_TOLERANCE = 1e-9;
/** How long a staged caller whose call took no turn waits before looking at the stages again. */
const STAGE_RECHECK_MS = 100;

/**
 * Whether a closed-model caller may begin a turn: before the run's duration ends and, with stages,
 * while the target is at least its index + 1.
 */
function closedLoadGate(
  config: RunConfig,
  startedAtMs: number,
): (clientId: number, nowMs: number) => boolean {
  const endMs = startedAtMs + (config.durationS ?? Infinity) * 1000;
  const stages = config.closedStages;
  return (clientId, nowMs) =>
    nowMs < endMs &&
    (stages === null ||
      targetAt(stages.from, stages.stages, (nowMs - startedAtMs) / 1000) >= clientId + 1 - STAGE_TOLERANCE);
}

/**
 * The open model: calls start on the arrival schedule (seeded) for the run's duration, whatever the
 * bot does; an arrival that finds --max-calls calls in progress is dropped and counted, never
 * delayed. Each call holds a drawn number of turns. Resolves once every started call has ended.
 */
async function runArrivals(
  open: OpenLoad,
  seed: number,
  startedAtMs: number,
  startCall: (callId: number, startAtMs: number, turns: number) => Promise<void>,
  signal: AbortSignal,
  timeline: TimelineRecorder,
): Promise<CallCounts> {
  const { offsetsMs, turnsRandom } = arrivalSchedule({
    ratePerS: open.arrivalRatePerS,
    durationS: open.durationS,
    process: open.arrivals,
    stages: open.stages,
  }, seed);
  const calls: Promise<void>[] = [];
  let active = 0;
  let dropped = 0;
  let plannedTurns = 0;
  for (const offsetMs of offsetsMs) {
    await sleepUntil(startedAtMs + offsetMs, callerScheduler, signal);
    if (signal.aborted) break;
    const turns = open.turnsPerCall.min +
      turnsRandom.index(open.turnsPerCall.max - open.turnsPerCall.min + 1);
    const arrivedAtMs = monotonicNowMs();
    timeline.arrival(arrivedAtMs);
    if (active >= open.maxCalls) {
      timeline.dropped(arrivedAtMs);
      dropped++;
      continue;
    }
    active++;
    plannedTurns += turns;
    calls.push(startCall(calls.length, arrivedAtMs, turns).finally(() => active--));
  }
  await Promise.all(calls);
  return { started: calls.length, dropped, plannedTurns };
}

/**
 * Runs a prepared run: its callers in this thread, or spread over worker threads (`workers` in the
 * run's config above 1), merged exactly into one result. `options` supplies the signal and the
 * onTurn callback.
 */
export async function executeRun(
  prepared: PreparedRun,
  options: Pick<RunOptions, "signal" | "onTurn" | "onCallsChange"> = {},
): Promise<RunResult> {
  const { config, mix, runId } = prepared;
  const watch = new ProcessWatch();
  const parts: { readonly callers: number; readonly result: CallersResult }[] = config.workers > 1
    ? await runInWorkers(prepared, options)
    : [{ callers: config.concurrency, result: await runCallers(prepared, options) }];
  const machine = watch.stop();
  const turns = parts.flatMap((part) => part.result.turns);
  const calls = parts[0]?.result.calls;
  const internalErrors = parts.flatMap((part) => part.result.internalErrors);
  const lateTurns = turns.filter((turn) => turn.outcome === "generator_lag").length;
  const merged = judgeLoop(mergeSamples(parts.map((part) => part.result.health)), config.maxLagMs);
  const reasons = [
    ...merged.reasons,
    ...internalErrors.map((error) => `internal error in ${error}`),
    ...(lateTurns > 0
      ? [`${lateTurns} turn(s) failed for voxbench's own lateness (generator_lag), not the bot's`]
      : []),
  ];
  const health: GeneratorHealth = {
    ...merged,
    valid: reasons.length === 0,
    reasons,
    maxLagMs: config.maxLagMs,
    ...machine,
    ...(config.workers > 1
      ? {
        workers: parts.map((part, worker) => ({
          worker,
          callers: part.callers,
          ...judgeLoop(part.result.health, config.maxLagMs),
        })),
      }
      : {}),
  };
  turns.sort((a, b) => a.client_id - b.client_id || a.turn_index - b.turn_index);
  const summary = { ...summarizeRun(turns), ...(calls ? { droppedCalls: calls.dropped } : {}) };
  const startedAtEpochMs = Math.min(...parts.map((part) => part.result.startedAtEpochMs));
  const endedAtEpochMs = Math.max(...parts.map((part) => part.result.endedAtEpochMs));
  const redactor = createRedactor(config.server, config.headers);
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    tool: { name: "voxbench", version: VERSION },
    runtime: currentRuntime(),
    runId,
    config: { ...config, server: redactor.url(config.server), headers: redactHeaders(config.headers) },
    startedAt: new Date(Math.round(startedAtEpochMs)).toISOString(),
    endedAt: new Date(Math.round(endedAtEpochMs)).toISOString(),
    durationMs: Math.round(endedAtEpochMs - startedAtEpochMs),
    interrupted: parts.some((part) => part.result.interrupted),
    calls: calls ?? null,
    timeline: summarizeTimeline(mergeTimelines(parts.map((part) => part.result.timeline))!, config.maxLagMs),
    turnCounts: {
      // A closed run held for a duration planned the turns its callers began.
      planned: calls
        ? calls.plannedTurns
        : config.durationS === null
        ? callersOf(config).length * config.requests
        : turns.length,
      started: turns.length,
      completed: turns.filter((turn) => turn.outcome !== "cancelled").length,
    },
    summary,
    health,
    ...(config.shard ? { healthSamples: mergeSamples(parts.map((part) => part.result.health)) } : {}),
    verdicts: evaluateVerdicts(summary, config.targets ?? undefined, prepared.thresholds),
    turns,
    extraColumns: [...new Set(mix.flatMap((entry) => entry.scenario.columns ?? []))],
  };
}
