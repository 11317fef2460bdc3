import { roundMs } from "../metrics/turn-record.ts";
import { defineScenario } from "./define.ts";
import type { TurnContext } from "./turn-context.ts";
import { interruptWhileTalking } from "./interruption.ts";

/**
 * False alarm: ask a question; 0.3-0.8 s into the reply send speech_start, a short noise (role
 * "noise": a cough, "mhmm"), then speech_end, as a client whose VAD triggered on noise does. The
 * bot should resume its reply, not answer the noise.
 *
 * - resume_ms: the noise's speech_end -> playback_resume (or, from a server that sends no resume
 *   event, -> the first audio after it). Empty when the bot never paused.
 * - Fails with spurious_reply when the bot answers the noise (playback_reset), and no_resume when it
 *   stopped and never resumed within the timeout.
 * - ttft_ms / total_ms: the original reply, from the question's speech_end (total includes the pause).
 */
export const falseAlarm = defineScenario({
  name: "false_alarm",
  description: "cough during the reply; the bot should resume, not answer the noise",
  timeout: "false_alarm",
  async run(turn: TurnContext) {
    const query = await turn.speak(turn.pick("query"));
    const first = await turn.waitForFirstAudio(query);
    turn.record.ttft_ms = roundMs(first.atMs - query.speechEndMs);
    await interruptWhileTalking(turn, query, first);
    const noise = await turn.speak(turn.pick("noise"));
    const stop = turn.session.eventsSince(query.cursor).find((event) => event.kind === "stop");
    const deadlineMs = noise.speechEndMs + turn.settings.timeoutMs;
    const found = await turn.waitFor(
      (event) => event.kind === "resume" || event.kind === "reset" || event.kind === "audio" || event.kind === "done" || event.kind === "server_error",
      noise.cursor,
      deadlineMs,
    );
    if (!found) {
      if (stop) turn.fail("no_resume", `the bot stopped for the noise and did not resume within ${turn.settings.timeoutMs / 1000} s`);
      turn.fail("timeout_reply_end", `the reply did not continue or end within ${turn.settings.timeoutMs / 1000} s of the noise`);
    }
    const kind = found.event.kind;
    if (kind === "server_error") turn.fail("server_error", `server error: ${found.event.message}`);
    if (kind === "reset") turn.fail("spurious_reply", "the bot answered the noise as a new question (playback_reset)");
    const resumedAtMs = kind === "resume" || (kind === "audio" && stop) ? found.atMs : undefined;
    if (resumedAtMs !== undefined) turn.record.resume_ms = roundMs(resumedAtMs - noise.speechEndMs);

    // The original reply continues; it ends with the end event or an idle gap, as any reply.
    const lastBefore = turn.session
      .eventsSince(query.cursor, found.cursor + (kind === "audio" ? 1 : 0))
      .filter((event) => event.kind === "audio")
      .at(-1);
    const replyEnd =
      kind === "done"
        ? { lastAudio: { atMs: lastBefore?.atMs ?? first.atMs, cursor: found.cursor }, reason: "done_event" as const, cursor: found.cursor + 1 }
        : await turn.waitForReplyEnd(noise, kind === "audio" ? { atMs: found.atMs, cursor: found.cursor } : { atMs: lastBefore?.atMs ?? first.atMs, cursor: found.cursor });
    const pauses = stop && resumedAtMs !== undefined ? [{ fromMs: stop.atMs, toMs: resumedAtMs }] : [];
    const analysis = turn.analyzeReply(query.cursor, replyEnd.lastAudio.cursor + 1, pauses);
    turn.record.total_ms = roundMs(replyEnd.lastAudio.atMs - query.speechEndMs);
    if (analysis.heardAtMs !== undefined) turn.record.heard_ms = roundMs(analysis.heardAtMs - query.speechEndMs);
    turn.recordReplyAudio(analysis, replyEnd);
    // A bot that answered the noise anyway, after resuming, also produced a spurious reply.
    if (turn.session.eventsSince(noise.cursor).some((event) => event.kind === "reset")) {
      turn.fail("spurious_reply", "the bot answered the noise as a new question (playback_reset)");
    }
  },
});
