import type { AudioLibrary } from "../audio/library.ts";
import { sleepUntil } from "../audio/pacer.ts";
import { monotonicNowMs, toIsoTime } from "../common/clock.ts";
import { callerScheduler } from "../common/deadline-scheduler.ts";
import { deriveRandom } from "../common/random.ts";
import { emptyTurnRecord, roundMs, type TurnRecord } from "../metrics/turn-record.ts";
import type { ClientProtocolAdapter } from "../protocol/client-adapter.ts";
import { pickScenario, type WeightedScenario } from "../scenarios/registry.ts";
import { runTurn } from "../scenarios/run-turn.ts";
import type { Scenario } from "../scenarios/define.ts";
import type { TurnSettings, TurnTimingSink } from "../scenarios/turn-context.ts";
import { Session } from "../session/session.ts";
import { ConnectError, openSocket, type ConnectOptions } from "../session/socket.ts";
import type { RunConfig } from "./options.ts";

/** What every caller of a run shares. */
export interface ClientDeps {
  readonly runId: string;
  readonly config: RunConfig;
  readonly mix: readonly WeightedScenario[];
  readonly library: AudioLibrary;
  readonly adapter: ClientProtocolAdapter;
  readonly connect: ConnectOptions;
  readonly timing: TurnTimingSink;
  readonly isCancelled: () => boolean;
  /** Aborted on cancel: ends think-time waits at once. */
  readonly cancelSignal: AbortSignal;
  /** Sessions currently open (closed all at once on cancel, to end waits at once). */
  readonly openSessions: Set<Session>;
  readonly emit: (record: TurnRecord) => void;
}

function settingsFor(scenario: Scenario, config: RunConfig): TurnSettings {
  const timeout = scenario.timeout;
  const seconds =
    typeof timeout === "object"
      ? timeout.ms / 1000
      : timeout === "simple"
        ? config.timeoutsS.simple
        : timeout === "tool"
          ? config.timeoutsS.tool
          : timeout === "interruption"
            ? config.timeoutsS.interruption
            : config.timeoutsS.falseAlarm;
  return { timeoutMs: seconds * 1000, idleMs: config.idleMs, maxGapMs: config.maxGapMs, replyEnd: config.replyEnd };
}

/**
 * One caller (closed model), starting at `startAtMs` (ramp-up): a connection running `requests` turns in sequence, each turn's
 * scenario drawn by weight. Between turns the caller lets the bot's audio play out, then thinks.
 * A failed turn may have left the connection out of step, so the next turn reconnects; when a
 * connection cannot be opened, this and every remaining turn of the caller fail with connect_error.
 */
export async function runClient(clientId: number, startAtMs: number, deps: ClientDeps): Promise<void> {
  const { config } = deps;
  if (startAtMs > monotonicNowMs()) await sleepUntil(startAtMs, callerScheduler, deps.cancelSignal);
  const random = deriveRandom(config.seed, clientId);
  let session: Session | undefined;
  let newConnection = false;
  try {
    for (let turnIndex = 0; turnIndex < config.requests; turnIndex++) {
      if (deps.isCancelled()) return;
      const scenario = pickScenario(deps.mix, random);
      const turnRandom = deriveRandom(config.seed, clientId, turnIndex + 1);
      const startedAtMs = monotonicNowMs();
      if (!session) {
        try {
          const socket = await openSocket(deps.connect);
          session = new Session(socket, deps.adapter, config.wireFormat);
          deps.openSessions.add(session);
          newConnection = true;
        } catch (error) {
          if (!(error instanceof ConnectError)) throw error;
          for (let lost = turnIndex; lost < config.requests; lost++) {
            const lostScenario = lost === turnIndex ? scenario : pickScenario(deps.mix, random);
            const record = emptyTurnRecord({
              run_id: deps.runId,
              client_id: clientId,
              turn_index: lost,
              scenario: lostScenario.name,
              started_at: toIsoTime(startedAtMs),
            });
            record.outcome = deps.isCancelled() ? "cancelled" : "connect_error";
            record.error = error.message;
            deps.emit(record);
          }
          return;
        }
      }
      const result = await runTurn(
        scenario,
        session,
        { runId: deps.runId, clientId, turnIndex },
        turnRandom,
        deps.library,
        settingsFor(scenario, config),
        deps.timing,
        startedAtMs,
        deps.isCancelled,
        deps.cancelSignal,
      );
      if (newConnection) {
        result.record.connect_ms = roundMs(session.connectMs);
        newConnection = false;
      }
      deps.emit(result.record);
      if (result.record.outcome !== "ok" || session.isClosed) {
        deps.openSessions.delete(session);
        await session.close();
        session = undefined;
      } else {
        session.forgetBefore(session.cursor);
      }
      if (turnIndex + 1 < config.requests && !deps.isCancelled()) {
        // The caller waits for the bot to finish talking, then thinks before the next question.
        const thinkMs = random.between(config.thinkTimeS.min, config.thinkTimeS.max) * 1000;
        await sleepUntil(Math.max(result.playbackEndMs, monotonicNowMs()) + thinkMs, callerScheduler, deps.cancelSignal);
      }
    }
  } finally {
    if (session) {
      deps.openSessions.delete(session);
      await session.close();
    }
  }
}
