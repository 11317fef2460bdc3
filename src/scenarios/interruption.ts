import { roundMs } from "../metrics/turn-record.ts";
import type { SessionEvent } from "../protocols/adapter.ts";
import { defineScenario, type Scenario } from "./define.ts";
import type { EventMark, TurnContext, Utterance } from "./turn-context.ts";

/** The caller interrupts this long after the first reply audio (uniform, seeded). */
export const INTERRUPT_AFTER_MS = { min: 300, max: 800 } as const;

/**
 * Real interruption: ask a question; 0.3-0.8 s after the reply's first audio, while the bot is
 * audibly talking, barge in with a new question (role "interrupt").
 *
 * - stop_ms: the interrupting speech onset sent (speech_start; on a stream, the frame holding the
 *   clip's speech onset) -> the bot's stop (stop_playback, Twilio's clear), or, from a bot that
 *   sends none, -> the last chunk of the old reply before its audio went quiet.
 * - stale_chunks: old-reply audio that still arrived after the stop; any fails the turn (stale_audio).
 *   It is never credited to the new reply.
 * - recovery_ms / recovery_total_ms: the new question's end of speech -> first audio / last audio of
 *   the new reply. The new reply starts after a playback_reset, or after an idle gap in the audio.
 */
export const interruption: Scenario = defineScenario({
  name: "interruption",
  description: "barge in while the bot talks; measure the stop, stale audio and recovery",
  roles: ["query", "interrupt"],
  timeoutS: 15,
  async run(turn: TurnContext) {
    const query = await turn.speak(turn.pick("query"));
    const first = await turn.waitForFirstAudio(query);
    turn.record.ttft_ms = roundMs(first.atMs - query.speechEndMs);
    await interruptWhileTalking(turn, query, first);
    const interruptClip = turn.pick("interrupt");
    const interruptCursor = turn.session.cursor;
    const speaking = turn.beginSpeaking(interruptClip);
    const speechStartMs = await speaking.onset;
    // The bot should stop while the caller is still talking; watch for it meanwhile.
    const stopping = findStop(turn, interruptCursor, speechStartMs);
    stopping.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
    const newQuestion = await speaking.done;
    const stop = await stopping;
    turn.record.stop_ms = roundMs(stop.atMs - speechStartMs);
    if (newQuestion.onsetFrameNumber !== undefined) turn.record.barge_in_chunk = newQuestion.onsetFrameNumber;
    if (newQuestion.endFrameNumber !== undefined) turn.record.barge_in_end_chunk = newQuestion.endFrameNumber;
    const heard = turn.analyzeReply(query.cursor, interruptCursor);
    if (heard.heardAtMs !== undefined) turn.record.heard_ms = roundMs(heard.heardAtMs - query.speechEndMs);

    const newFirst = await findNewReply(turn, newQuestion, interruptCursor, stop);
    turn.record.recovery_ms = roundMs(newFirst.atMs - newQuestion.speechEndMs);
    const end = await turn.waitForReplyEnd(newQuestion, newFirst);
    turn.record.recovery_total_ms = roundMs(end.lastAudio.atMs - newQuestion.speechEndMs);
    turn.recordReplyAudio(turn.analyzeReply(newFirst.cursor, end.lastAudio.cursor + 1), end);
  },
});

/** Sleeps to the interruption point, then checks the bot is really talking (or fails not_talking). */
export async function interruptWhileTalking(
  turn: TurnContext,
  query: Utterance,
  first: EventMark,
): Promise<void> {
  const interruptAtMs = first.atMs + turn.random.between(INTERRUPT_AFTER_MS.min, INTERRUPT_AFTER_MS.max);
  await turn.sleepUntil(interruptAtMs);
  const nowMs = turn.now();
  const { talking, analysis } = turn.isTalking(query, nowMs);
  if (!talking) {
    const endedMs = analysis.playbackEndMs ?? analysis.lastAudioMs ?? first.atMs;
    // Still talking at the interruption point, silent only by the time voxbench woke: voxbench was late.
    if (endedMs > interruptAtMs) {
      turn.fail(
        "generator_lag",
        `voxbench woke ${
          (nowMs - interruptAtMs).toFixed(0)
        } ms late for the interruption point, after the bot had stopped talking`,
      );
    }
    turn.fail(
      "not_talking",
      `the bot had stopped talking ${
        Math.max(0, interruptAtMs - endedMs).toFixed(0)
      } ms before the interruption point`,
    );
  }
}

interface StopPoint {
  readonly atMs: number;
  /** Cursor of the stop event, or after the last old chunk. */
  readonly cursor: number;
  readonly byEvent: boolean;
}

/**
 * Where the old reply stopped: the bot's stop event, or (without one) the last old chunk before
 * an idle gap. A bot that keeps streaming until the scenario's timeout fails with no_stop, and one
 * that plays its reply to the end (its end event, no stop) fails with no_stop too.
 */
async function findStop(turn: TurnContext, fromCursor: number, speechStartMs: number): Promise<StopPoint> {
  const followed = await turn.followAudio({
    fromCursor,
    quietSinceMs: speechStartMs,
    idleMs: turn.settings.idleMs,
    deadlineMs: speechStartMs + turn.settings.timeoutMs,
    until: (event) => event.kind === "stop" || event.kind === "done" || event.kind === "reset",
  });
  const last = followed.lastAudio;
  if (followed.end === "deadline") {
    turn.fail(
      "no_stop",
      `the bot kept sending audio for ${turn.settings.timeoutMs / 1000} s after the interruption`,
    );
  }
  if (followed.end === "idle") {
    return last
      ? { atMs: last.atMs, cursor: last.cursor + 1, byEvent: false }
      : { atMs: speechStartMs, cursor: followed.cursor, byEvent: false };
  }
  const kind = followed.event.kind;
  if (kind === "stop") return { atMs: followed.mark.atMs, cursor: followed.mark.cursor + 1, byEvent: true };
  if (kind === "done") turn.fail("no_stop", "the bot played its reply to the end despite the interruption");
  return last
    ? { atMs: last.atMs, cursor: followed.mark.cursor, byEvent: false }
    : { atMs: followed.mark.atMs, cursor: followed.mark.cursor, byEvent: false };
}

/**
 * The new reply's first chunk. Audio after the stop belongs to the old reply (stale) until a
 * playback_reset, or until the audio has paused for an idle gap after the new question.
 */
async function findNewReply(
  turn: TurnContext,
  newQuestion: Utterance,
  interruptCursor: number,
  stop: StopPoint,
): Promise<EventMark> {
  const isAudio = (event: SessionEvent): boolean => event.kind === "audio";
  const deadlineMs = newQuestion.speechEndMs + turn.settings.timeoutMs;
  let stale = 0;
  let resetSeen = turn.session.eventsSince(interruptCursor, newQuestion.cursor).some((event) =>
    event.kind === "reset"
  );
  // Old audio that arrived after the stop and before the new question ended.
  let previousAudioMs: number | undefined;
  for (const event of turn.session.eventsSince(stop.cursor, newQuestion.cursor)) {
    if (isAudio(event)) {
      stale++;
      previousAudioMs = event.atMs;
    }
  }
  let cursor = newQuestion.cursor;
  for (;;) {
    const found = await turn.waitFor(
      (event) => isAudio(event) || event.kind === "reset" || event.kind === "server_error",
      cursor,
      deadlineMs,
    );
    if (!found) {
      turn.record.stale_chunks = stale;
      turn.fail(
        "timeout_first_audio",
        `no reply to the interrupting question within ${turn.settings.timeoutMs / 1000} s`,
      );
    }
    cursor = found.cursor + 1;
    if (found.event.kind === "server_error") {
      turn.fail("server_error", `server error: ${found.event.message}`);
    }
    if (found.event.kind === "reset") {
      resetSeen = true;
      continue;
    }
    const afterGap = previousAudioMs === undefined || found.atMs - previousAudioMs >= turn.settings.idleMs;
    if (resetSeen || afterGap || !stop.byEvent) {
      turn.record.stale_chunks = stale;
      if (stale > 0) {
        turn.noteFailure("stale_audio", `${stale} chunk(s) of the interrupted reply arrived after the stop`);
      }
      return { atMs: found.atMs, cursor: found.cursor };
    }
    stale++;
    previousAudioMs = found.atMs;
  }
}
