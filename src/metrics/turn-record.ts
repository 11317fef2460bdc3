import type { Outcome } from "./outcomes.ts";

/**
 * One turn as voxbench measured it: a row of turns.csv. Durations are milliseconds on the
 * monotonic clock; a field a scenario does not measure stays null (an empty CSV cell).
 */
export interface TurnRecord {
  run_id: string;
  client_id: number;
  /** Turn number within its client, from 0. */
  turn_index: number;
  scenario: string;
  /** The utterance that opened the turn. */
  audio_file: string | null;
  /** The second utterance of an interruption (the new question) or false alarm (the noise). */
  second_audio_file: string | null;
  started_at: string;
  outcome: Outcome;
  error: string | null;
  session_id: string | null;
  /** Set on the first turn of each connection (a reconnect starts a new connection). */
  connect_ms: number | null;
  ttft_ms: number | null;
  total_ms: number | null;
  heard_ms: number | null;
  reply_audio_ms: number | null;
  reply_chunks: number | null;
  underruns: number | null;
  underrun_ms: number | null;
  longest_gap_ms: number | null;
  /** How the reply's end was found: "done_event" or "idle_gap". */
  reply_end: string | null;
  stop_ms: number | null;
  stale_chunks: number | null;
  recovery_ms: number | null;
  recovery_total_ms: number | null;
  resume_ms: number | null;
  /** tool_call -> tool_result as the client saw them (servers that send tool events). */
  tool_ms: number | null;
  server_stt_ms: number | null;
  server_llm_ttft_ms: number | null;
  server_tts_ttfb_ms: number | null;
  server_tool_ms: number | null;
  server_queue_ms: number | null;
  /** Close code and reason when the server closed the connection during the turn. */
  close_code: number | null;
  /** speech_end: ws.send() called -> frame handed to the socket (the load generator's own CPU). */
  send_overhead_ms: number | null;
  /** Connect attempts behind the turn's connection (more than 1 only with --reconnect); set when the turn opened one. */
  connect_attempts: number | null;
  /** The wire protocol the turn spoke. */
  protocol: string | null;
  /**
   * Streaming protocols: the caller's stream frame (1 = the call's first, as Twilio's `chunk`) that
   * held the end of the turn's first utterance, the frame ttft_ms is measured from (to pair a turn
   * with a packet capture).
   */
  speech_end_chunk: number | null;
  /**
   * Where the bot says when its VAD decided the caller stopped talking (Realtime's speech_stopped):
   * the caller's end of speech (the frame holding it sent) -> that event received.
   */
  endpoint_ms: number | null;
  /** How the bot's responses in the turn ended, in order, where the protocol says (Realtime: "completed", "cancelled/completed"...). */
  response_status: string | null;
  /** Tokens the bot's responses in the turn reported using (Realtime's response.done usage), summed. */
  input_tokens: number | null;
  output_tokens: number | null;
  /**
   * Streaming protocols, interruption turns: the caller's stream frame (numbered as
   * speech_end_chunk) that held the interrupting utterance's speech onset, the frame stop_ms is
   * measured from.
   */
  barge_in_chunk: number | null;
  /**
   * Streaming protocols, interruption turns: the caller's stream frame (numbered as
   * speech_end_chunk) that held the end of the interrupting utterance's speech, the frame
   * recovery_ms and recovery_total_ms are measured from.
   */
  barge_in_end_chunk: number | null;
  /** Values of the scenario's own columns (see Scenario.columns), by column name. */
  extra: Record<string, number | string | null>;
}

/** The column order of turns.csv (stable: new columns are only ever appended). */
export const TURN_COLUMNS: readonly Exclude<keyof TurnRecord, "extra">[] = [
  "run_id",
  "client_id",
  "turn_index",
  "scenario",
  "audio_file",
  "started_at",
  "outcome",
  "connect_ms",
  "ttft_ms",
  "total_ms",
  "heard_ms",
  "stop_ms",
  "recovery_ms",
  "resume_ms",
  "stale_chunks",
  "underruns",
  "error",
  "second_audio_file",
  "session_id",
  "reply_audio_ms",
  "reply_chunks",
  "underrun_ms",
  "longest_gap_ms",
  "reply_end",
  "recovery_total_ms",
  "tool_ms",
  "server_stt_ms",
  "server_llm_ttft_ms",
  "server_tts_ttfb_ms",
  "server_tool_ms",
  "server_queue_ms",
  "close_code",
  "send_overhead_ms",
  "connect_attempts",
  "protocol",
  "speech_end_chunk",
  "endpoint_ms",
  "response_status",
  "input_tokens",
  "output_tokens",
  "barge_in_chunk",
  "barge_in_end_chunk",
];

/**
 * A record with every measurement empty, for a scenario to fill in.
 *
 * @example
 * ```ts
 * import { emptyTurnRecord } from "./turn-record.ts";
 * const record = emptyTurnRecord({ run_id: "r1", client_id: 0, turn_index: 0, scenario: "simple_query", started_at: new Date(0).toISOString() });
 * console.log(record.outcome, record.ttft_ms); // "ok" null
 * ```
 */
export function emptyTurnRecord(
  identity: Pick<TurnRecord, "run_id" | "client_id" | "turn_index" | "scenario" | "started_at">,
): TurnRecord {
  // Every field written out (no spread): one fixed shape for every record, which V8 allocates from
  // a boilerplate; the records live until the run ends.
  return {
    run_id: identity.run_id,
    client_id: identity.client_id,
    turn_index: identity.turn_index,
    scenario: identity.scenario,
    started_at: identity.started_at,
    audio_file: null,
    second_audio_file: null,
    outcome: "ok",
    error: null,
    session_id: null,
    connect_ms: null,
    ttft_ms: null,
    total_ms: null,
    heard_ms: null,
    reply_audio_ms: null,
    reply_chunks: null,
    underruns: null,
    underrun_ms: null,
    longest_gap_ms: null,
    reply_end: null,
    stop_ms: null,
    stale_chunks: null,
    recovery_ms: null,
    recovery_total_ms: null,
    resume_ms: null,
    tool_ms: null,
    server_stt_ms: null,
    server_llm_ttft_ms: null,
    server_tts_ttfb_ms: null,
    server_tool_ms: null,
    server_queue_ms: null,
    close_code: null,
    send_overhead_ms: null,
    connect_attempts: null,
    protocol: null,
    speech_end_chunk: null,
    endpoint_ms: null,
    response_status: null,
    input_tokens: null,
    output_tokens: null,
    barge_in_chunk: null,
    barge_in_end_chunk: null,
    extra: {},
  };
}

/** Rounds a duration for export: microsecond resolution is more than the clock's accuracy. */
export function roundMs(value: number): number {
  return Math.round(value * 1000) / 1000;
}
