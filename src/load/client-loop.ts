import type { AudioLibrary } from "../audio/library.ts";
import { sleepUntil } from "../audio/pacer.ts";
import { monotonicNowMs, toIsoTime } from "../common/clock.ts";
import { callerScheduler } from "../common/deadline-scheduler.ts";
import { deriveRandom, type Random } from "../common/random.ts";
import { emptyTurnRecord, roundMs, type TurnRecord } from "../metrics/turn-record.ts";
import type { ProtocolAdapter } from "../protocols/adapter.ts";
import { pickScenario, type WeightedScenario } from "../scenarios/registry.ts";
import { runTurn } from "../scenarios/run-turn.ts";
import type { Scenario } from "../scenarios/define.ts";
import type { TurnSettings, TurnTimingSink } from "../scenarios/turn-context.ts";
import { Session } from "../session/session.ts";
import type { VoiceTiming } from "../session/voice.ts";
import { ConnectError, type ConnectOptions, openSocket } from "../session/socket.ts";
import type { RunConfig } from "./options.ts";

/** What every caller of a run shares. */
export interface ClientDeps {
  readonly runId: string;
  readonly config: RunConfig;
  readonly mix: readonly WeightedScenario[];
  readonly library: AudioLibrary;
  readonly protocol: ProtocolAdapter;
  readonly connect: ConnectOptions;
  readonly timing: TurnTimingSink & VoiceTiming;
  readonly isCancelled: () => boolean;
  /** Aborted on cancel: ends think-time waits at once. */
  readonly cancelSignal: AbortSignal;
  /** Sessions currently open (closed all at once on cancel, to end waits at once). */
  readonly openSessions: Set<Session>;
  readonly emit: (record: TurnRecord) => void;
  /** A caller's call began (after its ramp-up wait) and ended: the timeline's calls in progress. */
  /**
   * A run held for a duration or following stages: whether caller `clientId` may begin a turn at
   * this monotonic time (when not, it hangs up). Absent: every caller takes all its turns.
   */
  readonly mayBeginTurn?: (clientId: number, nowMs: number) => boolean;
  readonly onCallStart?: (atMs: number) => void;
  readonly onCallEnd?: (atMs: number) => void;
}

function settingsFor(scenario: Scenario, config: RunConfig): TurnSettings {
  const seconds = config.timeoutsS[scenario.name] ?? scenario.timeoutS;
  return {
    timeoutMs: seconds * 1000,
    idleMs: config.idleMs,
    maxGapMs: config.maxGapMs,
    replyEnd: config.replyEnd,
  };
}

/** A failed connect is tried again after this long, doubling up to {@link RECONNECT_MAX_BACKOFF_MS} (--reconnect). */
export const RECONNECT_FIRST_BACKOFF_MS = 100;
export const RECONNECT_MAX_BACKOFF_MS = 2000;

type Connected = { readonly session: Session; readonly attempts: number } | {
  readonly error: ConnectError;
  readonly attempts: number;
};

/**
 * Opens the caller's connection for a turn. Without --reconnect, one attempt (load_test.py's
 * behaviour). With it, a failed attempt is retried after a backoff (100 ms doubling to 2 s, with
 * +-50% seeded jitter so callers do not retry in lockstep) until the turn's timeout from
 * `turnStartMs` would pass. Ctrl-C ends the attempts at once.
 */
async function connectForTurn(
  deps: ClientDeps,
  connectionKey: string,
  turnStartMs: number,
  timeoutMs: number,
  jitter: Random,
): Promise<Connected> {
  const giveUpAtMs = turnStartMs + timeoutMs;
  for (let attempts = 1;; attempts++) {
    try {
      const remainingMs = giveUpAtMs - monotonicNowMs();
      const connectTimeoutMs = deps.config.reconnect
        ? Math.max(1, Math.min(deps.connect.connectTimeoutMs, remainingMs))
        : deps.connect.connectTimeoutMs;
      const socket = await openSocket({ ...deps.connect, connectTimeoutMs, signal: deps.cancelSignal });
      const { config, protocol } = deps;
      const caller = protocol.caller({
        wireFormat: config.wireFormat,
        replyFormat: config.replyFormat,
        parameters: config.parameters,
        connectionKey,
        toolResultMs: config.toolResultMs,
      });
      const session = new Session(socket, {
        protocol,
        caller,
        wireFormat: config.wireFormat,
        timing: deps.timing,
      });
      session.start();
      return { session, attempts };
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      if (error.cancelled || !deps.config.reconnect) return { error, attempts };
      const backoffMs = Math.min(RECONNECT_MAX_BACKOFF_MS, RECONNECT_FIRST_BACKOFF_MS * 2 ** (attempts - 1)) *
        jitter.between(0.5, 1.5);
      if (monotonicNowMs() + backoffMs >= giveUpAtMs) {
        const seconds = ((monotonicNowMs() - turnStartMs) / 1000).toFixed(1);
        return {
          error: new ConnectError(`${error.message} (${attempts} attempts over ${seconds} s)`),
          attempts,
        };
      }
      await sleepUntil(monotonicNowMs() + backoffMs, callerScheduler, deps.cancelSignal);
      if (deps.isCancelled()) {
        return { error: new ConnectError("the run was stopped while reconnecting", true), attempts };
      }
    }
  }
}

/**
 * One caller (closed model) or call (open model), starting at `startAtMs`: a connection running
 * `turns` turns (default `requests`) in sequence, then hanging up, each turn's scenario drawn by weight. Between turns the caller lets the bot's
 * audio play out, then thinks. A failed turn may have left the connection out of step, so the next
 * turn reconnects. When a connection cannot be opened, the turn fails with connect_error, and so
 * does every remaining turn of the caller (without --reconnect; with it, the next turn tries again).
 * A turn that never started (the run was stopped first) has no record.
 */
export async function runClient(
  clientId: number,
  startAtMs: number,
  deps: ClientDeps,
  turns: number = deps.config.requests,
  call: { readonly index: number; readonly firstTurnIndex: number } = { index: 0, firstTurnIndex: 0 },
): Promise<void> {
  const { config } = deps;
  if (startAtMs > monotonicNowMs()) await sleepUntil(startAtMs, callerScheduler, deps.cancelSignal);
  // A caller's later calls (closed-model stages) draw their own sequence, fixed by where they start.
  const random = call.firstTurnIndex === 0
    ? deriveRandom(config.seed, clientId)
    : deriveRandom(config.seed, clientId, 0, call.firstTurnIndex);
  // Connection keys (Twilio's call and stream ids derive from them) stay unique across calls.
  const connectionKey = (connection: number): string =>
    call.index === 0
      ? `${deps.runId}:${clientId}:${connection}`
      : `${deps.runId}:${clientId}:${call.index}.${connection}`;
  let failedConnects = 0;
  const lastTurnIndex = call.firstTurnIndex + turns;
  let session: Session | undefined;
  let connectAttempts: number | undefined;
  let connections = 0;
  const identity = (turnIndex: number, scenario: Scenario, startedAtMs: number): TurnRecord =>
    emptyTurnRecord({
      run_id: deps.runId,
      client_id: clientId,
      turn_index: turnIndex,
      scenario: scenario.name,
      started_at: toIsoTime(startedAtMs),
    });
  if (deps.isCancelled()) return;
  // Woken for a call it may no longer take (the stages moved on): no call at all.
  if (deps.mayBeginTurn && !deps.mayBeginTurn(clientId, monotonicNowMs())) return;
  deps.onCallStart?.(monotonicNowMs());
  try {
    for (let turnIndex = call.firstTurnIndex; turnIndex < lastTurnIndex; turnIndex++) {
      if (deps.isCancelled()) return;
      if (deps.mayBeginTurn && !deps.mayBeginTurn(clientId, monotonicNowMs())) return;
      const scenario = pickScenario(deps.mix, random);
      const turnRandom = deriveRandom(config.seed, clientId, turnIndex + 1);
      const startedAtMs = monotonicNowMs();
      const settings = settingsFor(scenario, config);
      if (!session) {
        const connected = await connectForTurn(
          deps,
          connectionKey(connections++),
          startedAtMs,
          settings.timeoutMs,
          deriveRandom(config.seed, clientId, turnIndex + 1, 1),
        );
        if ("error" in connected) {
          const record = identity(turnIndex, scenario, startedAtMs);
          record.protocol = config.protocol;
          record.outcome = connected.error.cancelled || deps.isCancelled() ? "cancelled" : "connect_error";
          record.error = connected.error.message;
          record.connect_attempts = connected.attempts;
          deps.emit(record);
          if (record.outcome === "cancelled") return;
          if (deps.mayBeginTurn) {
            // A run held for a time keeps its load: the caller dials again, backing off, until the
            // time is up; every failed attempt is a connect_error turn.
            failedConnects++;
            const backoffMs = Math.min(
              RECONNECT_MAX_BACKOFF_MS,
              RECONNECT_FIRST_BACKOFF_MS * 2 ** (failedConnects - 1),
            );
            await sleepUntil(monotonicNowMs() + backoffMs, callerScheduler, deps.cancelSignal);
            continue;
          }
          if (config.reconnect) {
            await thinkBeforeNextTurn(deps, random, turnIndex, lastTurnIndex, monotonicNowMs());
            continue;
          }
          // A caller whose connection fails loses its remaining turns.
          for (let lost = turnIndex + 1; lost < lastTurnIndex; lost++) {
            const lostRecord = identity(lost, pickScenario(deps.mix, random), startedAtMs);
            lostRecord.protocol = config.protocol;
            lostRecord.outcome = "connect_error";
            lostRecord.error = connected.error.message;
            deps.emit(lostRecord);
          }
          return;
        }
        session = connected.session;
        connectAttempts = connected.attempts;
        failedConnects = 0;
        deps.openSessions.add(session);
      }
      const result = await runTurn({
        scenario,
        session,
        identity: { runId: deps.runId, clientId, turnIndex },
        random: turnRandom,
        library: deps.library,
        settings,
        timing: deps.timing,
        startedAtMs,
        protocol: config.protocol,
        isCancelled: deps.isCancelled,
        signal: deps.cancelSignal,
        ...(connectAttempts !== undefined ? { startCursor: 0 } : {}),
      });
      if (connectAttempts !== undefined) {
        result.record.connect_ms = roundMs(session.connectMs);
        result.record.connect_attempts = connectAttempts;
        connectAttempts = undefined;
      }
      deps.emit(result.record);
      if (result.record.outcome !== "ok" || session.isClosed) {
        deps.openSessions.delete(session);
        await session.close();
        session = undefined;
      } else {
        session.forgetBefore(session.cursor);
      }
      await thinkBeforeNextTurn(deps, random, turnIndex, lastTurnIndex, result.playbackEndMs);
    }
  } finally {
    if (session) {
      deps.openSessions.delete(session);
      await session.close();
    }
    deps.onCallEnd?.(monotonicNowMs());
  }
}

/** The caller waits for the bot to finish talking (`playbackEndMs`), then thinks before the next question. */
async function thinkBeforeNextTurn(
  deps: ClientDeps,
  random: Random,
  turnIndex: number,
  endTurnIndex: number,
  playbackEndMs: number,
): Promise<void> {
  const { config } = deps;
  if (turnIndex + 1 >= endTurnIndex || deps.isCancelled()) return;
  const thinkMs = random.between(config.thinkTimeS.min, config.thinkTimeS.max) * 1000;
  await sleepUntil(Math.max(playbackEndMs, monotonicNowMs()) + thinkMs, callerScheduler, deps.cancelSignal);
}
