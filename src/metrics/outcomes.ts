/**
 * How a turn ended. Every turn gets exactly one outcome: "ok", or the first failure that decided it.
 *
 * @example
 * ```ts
 * import { TurnFailure, isFailure } from "./outcomes.ts";
 * const failure = new TurnFailure("timeout_first_audio", "no audio within 30 s");
 * console.log(isFailure(failure.outcome)); // true
 * ```
 */
export const OUTCOMES = {
  ok: "the turn did what its scenario expects",
  connect_error: "the WebSocket could not be opened (refused, DNS, TLS, HTTP status, timeout)",
  timeout_first_audio: "no reply audio before the scenario's timeout",
  timeout_reply_end: "the reply did not end before the scenario's timeout",
  closed_by_server: "the server closed the connection during the turn",
  write_timeout:
    "the bot stopped reading: a frame could not be written to its socket within the scenario's timeout",
  server_error: "the server sent an error event",
  protocol_error:
    "the server sent something the protocol does not allow (malformed JSON, binary frame, oversized message)",
  no_stop: "interrupted, the bot neither sent stop_playback nor stopped its audio",
  stale_audio: "audio of an interrupted reply kept arriving after the stop",
  no_resume: "after a false alarm the bot neither resumed nor continued its reply",
  spurious_reply: "the bot answered a noise as if it were a new question",
  false_stop: "on a stream, the bot stopped talking (e.g. Twilio's clear) for a noise that was not speech",
  not_talking: "the bot was no longer talking when the scenario meant to interrupt it",
  audio_gap: "the reply's audio ran dry mid-reply for longer than --max-gap-ms",
  scenario_error: "the scenario's own code threw an error (a bug in a custom scenario)",
  generator_lag:
    "voxbench itself was late (its event loop stalled): what looked like a failure was its own, not the bot's",
  cancelled: "the run was interrupted (Ctrl-C) before the turn finished",
} as const;

export type Outcome = keyof typeof OUTCOMES;

/** Who an outcome's failure belongs to, for the report's failure table. */
export type FailureSide = "bot" | "voxbench" | "run" | "scenario";

/**
 * Whose failure an outcome is: the bot's (and its network's), voxbench's own (generator_lag), the
 * run's (stopped by the user) or a custom scenario's code.
 *
 * @example
 * ```ts
 * import { failureSide } from "./outcomes.ts";
 * console.log(failureSide("audio_gap"), failureSide("generator_lag")); // "bot" "voxbench"
 * ```
 */
export function failureSide(outcome: Outcome): FailureSide {
  if (outcome === "generator_lag") return "voxbench";
  if (outcome === "cancelled") return "run";
  if (outcome === "scenario_error") return "scenario";
  return "bot";
}

/** Failure outcomes (everything but ok). */
export type FailureOutcome = Exclude<Outcome, "ok">;

/** True for every outcome but "ok". */
export function isFailure(outcome: Outcome): boolean {
  return outcome !== "ok";
}

/** Thrown inside a scenario to end the turn with a failure outcome. */
export class TurnFailure extends Error {
  override readonly name = "TurnFailure";
  constructor(
    readonly outcome: FailureOutcome,
    message: string,
  ) {
    super(message);
  }
}
