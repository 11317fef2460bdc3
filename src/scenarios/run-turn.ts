import type { AudioLibrary } from "../audio/library.ts";
import { toIsoTime } from "../common/clock.ts";
import type { Random } from "../common/random.ts";
import { TurnFailure } from "../metrics/outcomes.ts";
import { emptyTurnRecord, roundMs, type TurnRecord } from "../metrics/turn-record.ts";
import type { Session } from "../session/session.ts";
import type { Scenario } from "./define.ts";
import { asTurnFailure, TurnContext, type TurnSettings, type TurnTimingSink } from "./turn-context.ts";

/** Who the turn belongs to. */
export interface TurnIdentity {
  readonly runId: string;
  readonly clientId: number;
  readonly turnIndex: number;
}

/** A finished turn and what the caller should do before the next one. */
export interface TurnResult {
  readonly record: TurnRecord;
  /** When the bot's last audio finishes playing for the caller (the next question waits for it). */
  readonly playbackEndMs: number;
}

/**
 * Runs one scenario on a session and returns its record: the scenario's own measurements, then
 * what the event log adds (server timings, tool events, protocol and server errors, close code).
 * The first failure decides the outcome; `isCancelled()` turns failures caused by Ctrl-C into
 * "cancelled".
 */
export interface RunTurnOptions {
  readonly scenario: Scenario;
  readonly session: Session;
  readonly identity: TurnIdentity;
  readonly random: Random;
  readonly library: AudioLibrary;
  readonly settings: TurnSettings;
  readonly timing: TurnTimingSink;
  readonly startedAtMs: number;
  /** The record's turns.csv identity of the run (its protocol column). */
  readonly protocol: string;
  readonly isCancelled: () => boolean;
  readonly signal?: AbortSignal;
  /** The first event of the turn's log: the session's first on a new connection (what the bot sent on connect belongs to it), else the next. */
  readonly startCursor?: number;
}

export async function runTurn(options: RunTurnOptions): Promise<TurnResult> {
  const { scenario, session, identity, isCancelled } = options;
  const record = emptyTurnRecord({
    run_id: identity.runId,
    client_id: identity.clientId,
    turn_index: identity.turnIndex,
    scenario: scenario.name,
    started_at: toIsoTime(options.startedAtMs),
  });
  record.protocol = options.protocol;
  record.session_id = session.sessionId ?? null;
  const turn = new TurnContext({
    session,
    record,
    random: options.random,
    library: options.library,
    settings: options.settings,
    timing: options.timing,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.startCursor !== undefined ? { startCursor: options.startCursor } : {}),
  });
  try {
    await scenario.run(turn);
  } catch (thrown) {
    const error = asTurnFailure(thrown);
    // A close or a wait that ran out after a protocol or server error was caused by it: the earlier error decides.
    const cause = error instanceof TurnFailure && CONSEQUENCES.has(error.outcome)
      ? earliestLoggedError(turn)
      : undefined;
    if (cause) {
      turn.noteFailure(cause.outcome, cause.message);
    } else if (error instanceof TurnFailure) {
      if (record.outcome === "ok") {
        record.outcome = error.outcome;
        record.error = error.message;
      }
    } else {
      record.outcome = "scenario_error";
      record.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }
  addLoggedFacts(turn);
  if (isCancelled() && record.outcome !== "ok") {
    record.outcome = "cancelled";
    record.error = "the run was interrupted before this turn finished";
  }
  record.session_id = session.sessionId ?? record.session_id;
  return { record, playbackEndMs: turn.playbackEndMs };
}

/** Outcomes that an earlier protocol or server error explains better than they do themselves. */
const CONSEQUENCES: ReadonlySet<string> = new Set([
  "closed_by_server",
  "timeout_first_audio",
  "timeout_reply_end",
]);

function earliestLoggedError(
  turn: TurnContext,
): { outcome: "protocol_error" | "server_error"; message: string } | undefined {
  for (const event of turn.session.eventsSince(turn.startCursor)) {
    if (event.kind === "protocol_error") return { outcome: "protocol_error", message: event.message };
    if (event.kind === "server_error") {
      return { outcome: "server_error", message: `server error: ${event.message}` };
    }
  }
  return undefined;
}

/** Fills in what the event log of the turn shows beyond the scenario's own measurements. */
function addLoggedFacts(turn: TurnContext): void {
  const record = turn.record;
  const toolCalls = new Map<string, number>();
  const first = turn.firstUtterance;
  const statuses: string[] = [];
  for (const [offset, event] of turn.session.eventsSince(turn.startCursor).entries()) {
    switch (event.kind) {
      case "vad":
        // The bot's end-of-speech decision for the first utterance: the first "end" after its end of speech left.
        if (
          event.edge === "end" && first && record.endpoint_ms === null &&
          turn.startCursor + offset >= first.cursor && event.atMs >= first.speechEndMs
        ) {
          record.endpoint_ms = roundMs(event.atMs - first.speechEndMs);
        }
        break;
      case "response_status":
        statuses.push(event.status);
        if (event.inputTokens !== undefined) {
          record.input_tokens = (record.input_tokens ?? 0) + event.inputTokens;
        }
        if (event.outputTokens !== undefined) {
          record.output_tokens = (record.output_tokens ?? 0) + event.outputTokens;
        }
        break;
      case "protocol_error":
        turn.noteFailure("protocol_error", event.message);
        break;
      case "server_error":
        turn.noteFailure("server_error", `server error: ${event.message}`);
        break;
      case "metrics": {
        const number = (key: string): number | null => {
          const value = event.timings[key];
          return typeof value === "number" && Number.isFinite(value) ? roundMs(value) : null;
        };
        record.server_stt_ms ??= number("stt_ms");
        record.server_llm_ttft_ms ??= number("llm_ttft_ms");
        record.server_tts_ttfb_ms ??= number("tts_ttfb_ms");
        record.server_tool_ms ??= number("tool_ms");
        record.server_queue_ms ??= number("queue_ms");
        break;
      }
      case "tool_call":
        toolCalls.set(event.callId, event.atMs);
        break;
      case "tool_result": {
        const calledAtMs = toolCalls.get(event.callId);
        if (calledAtMs !== undefined && record.tool_ms === null) {
          record.tool_ms = roundMs(event.atMs - calledAtMs);
        }
        break;
      }
      case "closed":
        record.close_code = event.code;
        break;
    }
  }
  if (statuses.length > 0) record.response_status = statuses.join("/");
}
