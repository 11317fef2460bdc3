import { roundMs } from "../metrics/turn-record.ts";
import type { PlaybackPause } from "../session/playback.ts";
import { defineScenario, type Scenario } from "./define.ts";
import type { EventMark, ReplyEnd, TurnContext, Utterance } from "./turn-context.ts";
import { interruptWhileTalking } from "./interruption.ts";

/**
 * False alarm: ask a question; 0.3-0.8 s into the reply make a short noise (role "noise": a cough,
 * "mhmm"). The bot should carry on with its reply, not answer the noise.
 *
 * With a caller that has local VAD (speech-events), the noise goes out as speech_start, the noise,
 * speech_end, as from a client whose VAD triggered on it: the bot should pause and resume.
 * - resume_ms: the noise's speech_end -> playback_resume (or, from a bot that sends no resume
 *   event, -> the first audio after it). Empty when the bot never paused.
 * - spurious_reply when the bot answers the noise (playback_reset); no_resume when it stopped and
 *   never resumed within the timeout.
 *
 * On a stream (Twilio...), the noise is just audio and the bot's own VAD hears it: the turn is ok
 * when the bot neither stops (false_stop: it sent its stop, e.g. clear) nor answers (spurious_reply:
 * audio of a new reply after the original one ended).
 *
 * ttft_ms / total_ms: the original reply, from the question's end of speech (total includes any pause).
 */
export const falseAlarm: Scenario = defineScenario({
  name: "false_alarm",
  description: "cough during the reply; the bot should carry on, not answer the noise",
  roles: ["query", "noise"],
  timeoutS: 15,
  async run(turn: TurnContext) {
    const query = await turn.speak(turn.pick("query"));
    const first = await turn.waitForFirstAudio(query);
    turn.record.ttft_ms = roundMs(first.atMs - query.speechEndMs);
    await interruptWhileTalking(turn, query, first);
    const noiseCursor = turn.session.cursor;
    const noise = await turn.speak(turn.pick("noise"));
    const { replyEnd, pauses } = turn.streaming
      ? { replyEnd: await carriesOn(turn, first, noiseCursor, noise), pauses: [] }
      : await resumes(turn, query, first, noise);
    const analysis = turn.analyzeReply(query.cursor, replyEnd.lastAudio.cursor + 1, pauses);
    turn.record.total_ms = roundMs(replyEnd.lastAudio.atMs - query.speechEndMs);
    if (analysis.heardAtMs !== undefined) {
      turn.record.heard_ms = roundMs(analysis.heardAtMs - query.speechEndMs);
    }
    turn.recordReplyAudio(analysis, replyEnd);
    if (turn.streaming) {
      // A reply to the noise comes after the original one: any audio within the quiet window is one.
      const spurious = await turn.waitFor(
        (event) => event.kind === "audio",
        replyEnd.cursor,
        replyEnd.lastAudio.atMs + 2 * turn.settings.idleMs,
      );
      if (spurious) {
        turn.fail(
          "spurious_reply",
          "the bot answered the noise as a new question (new audio after its reply ended)",
        );
      }
    } else if (turn.session.eventsSince(noise.cursor).some((event) => event.kind === "reset")) {
      // A bot that answered the noise anyway, after resuming, also produced a spurious reply.
      turn.fail("spurious_reply", "the bot answered the noise as a new question (playback_reset)");
    }
  },
});

/**
 * Local VAD: the bot should pause for speech_start and resume once the noise proves to be noise.
 * Returns the original reply's end and the pause the caller's player made.
 */
async function resumes(
  turn: TurnContext,
  query: Utterance,
  first: EventMark,
  noise: Utterance,
): Promise<{ replyEnd: ReplyEnd; pauses: PlaybackPause[] }> {
  const stop = turn.session.eventsSince(query.cursor).find((event) => event.kind === "stop");
  const deadlineMs = noise.speechEndMs + turn.settings.timeoutMs;
  const found = await turn.waitFor(
    (event) =>
      event.kind === "resume" || event.kind === "reset" || event.kind === "audio" || event.kind === "done" ||
      event.kind === "server_error",
    noise.cursor,
    deadlineMs,
  );
  if (!found) {
    if (stop) {
      turn.fail(
        "no_resume",
        `the bot stopped for the noise and did not resume within ${turn.settings.timeoutMs / 1000} s`,
      );
    }
    turn.fail(
      "timeout_reply_end",
      `the reply did not continue or end within ${turn.settings.timeoutMs / 1000} s of the noise`,
    );
  }
  const kind = found.event.kind;
  if (kind === "server_error") turn.fail("server_error", `server error: ${found.event.message}`);
  if (kind === "reset") {
    turn.fail("spurious_reply", "the bot answered the noise as a new question (playback_reset)");
  }
  const resumedAtMs = kind === "resume" || (kind === "audio" && stop) ? found.atMs : undefined;
  if (resumedAtMs !== undefined) turn.record.resume_ms = roundMs(resumedAtMs - noise.speechEndMs);
  // The original reply continues; it ends with the end event or an idle gap, as any reply.
  const pauses = stop && resumedAtMs !== undefined ? [{ fromMs: stop.atMs, toMs: resumedAtMs }] : [];
  const lastBefore = lastAudioBefore(turn, query.cursor, found.cursor + (kind === "audio" ? 1 : 0)) ?? first;
  if (kind === "done") {
    return { replyEnd: { lastAudio: lastBefore, reason: "done_event", cursor: found.cursor + 1 }, pauses };
  }
  const replyEnd = await turn.waitForReplyEnd(
    noise,
    kind === "audio"
      ? { atMs: found.atMs, cursor: found.cursor }
      : { atMs: lastBefore.atMs, cursor: found.cursor },
  );
  return { replyEnd, pauses };
}

/** The bot's VAD heard the noise on the stream: the reply should simply carry on to its end. */
async function carriesOn(
  turn: TurnContext,
  first: EventMark,
  noiseCursor: number,
  noise: Utterance,
): Promise<ReplyEnd> {
  const lastBefore = lastAudioBefore(turn, first.cursor, noiseCursor) ?? first;
  const followed = await turn.followAudio({
    fromCursor: noiseCursor,
    lastAudio: lastBefore,
    quietSinceMs: lastBefore.atMs,
    idleMs: turn.session.sawDoneEvent && turn.settings.replyEnd !== "idle" ? undefined : turn.settings.idleMs,
    deadlineMs: noise.speechEndMs + turn.settings.timeoutMs,
    until: (event) =>
      event.kind === "stop" || event.kind === "reset" || event.kind === "done" ||
      event.kind === "server_error",
  });
  const lastAudio = followed.lastAudio ?? lastBefore;
  if (followed.end === "deadline") {
    turn.fail(
      "timeout_reply_end",
      `the reply did not end within ${turn.settings.timeoutMs / 1000} s of the noise`,
    );
  }
  if (followed.end === "idle") return { lastAudio, reason: "idle_gap", cursor: followed.cursor };
  const event = followed.event;
  if (event.kind === "server_error") turn.fail("server_error", `server error: ${event.message}`);
  if (event.kind === "stop" || event.kind === "reset") {
    turn.fail(
      "false_stop",
      `the bot stopped talking for a noise (${
        event.kind === "stop" && event.message ? event.message : event.kind
      }) ${Math.max(0, event.atMs - noise.speechStartMs).toFixed(0)} ms after it began`,
    );
  }
  return { lastAudio, reason: "done_event", cursor: followed.mark.cursor + 1 };
}

function lastAudioBefore(turn: TurnContext, fromCursor: number, toCursor: number): EventMark | undefined {
  const events = turn.session.eventsSince(fromCursor, toCursor);
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index]!;
    if (event.kind === "audio") return { atMs: event.atMs, cursor: fromCursor + index };
  }
  return undefined;
}
