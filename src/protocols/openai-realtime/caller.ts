import type {
  CallerAnswer,
  CallerOptions,
  CallerSide,
  SessionEvent,
  SessionEventBody,
  WireFrame,
} from "../adapter.ts";
import { sharedBase64 } from "../base64.ts";
import { type Decoded, decodeJsonFrame, fail } from "../json.ts";
import { base64AudioEvent } from "../reply-audio.ts";
import {
  clientEvent,
  encodeAppend,
  eventNames,
  numberOf,
  objectOf,
  otherDialect,
  type RealtimeApi,
  stringOf,
  type TurnDetection,
} from "./codec.ts";

/** How a Realtime caller is configured (resolved from --realtime-session and --realtime-api). */
export interface RealtimeCallerSettings {
  readonly api: RealtimeApi;
  /** The `session` of the session.update sent on open. */
  readonly session: Readonly<Record<string, unknown>>;
  readonly turnDetection: TurnDetection;
}

/** Events the caller knows and has nothing to log for. */
const QUIET_EVENTS = new Set([
  "session.updated",
  "input_audio_buffer.committed",
  "input_audio_buffer.cleared",
  "input_audio_buffer.timeout_triggered",
  "conversation.created",
  "conversation.item.created",
  "conversation.item.added",
  "conversation.item.done",
  "conversation.item.truncated",
  "conversation.item.deleted",
  "conversation.item.retrieved",
  "conversation.item.input_audio_transcription.delta",
  "conversation.item.input_audio_transcription.completed",
  "conversation.item.input_audio_transcription.failed",
  "response.output_item.added",
  "response.output_item.done",
  "response.content_part.added",
  "response.content_part.done",
  "response.function_call_arguments.delta",
  "rate_limits.updated",
]);

function typed(
  message: Readonly<Record<string, unknown>>,
): Decoded<Readonly<Record<string, unknown>> & { type: string }> {
  return typeof message.type === "string"
    ? { ok: true, value: message as Readonly<Record<string, unknown>> & { type: string } }
    : fail('message has no "type"');
}

/**
 * The caller side of OpenAI's Realtime API: voxbench plays a Realtime client. On open it sends
 * `session.update`; it streams the microphone as `input_audio_buffer.append` for the whole call;
 * in manual mode (`turn_detection: null`) it commits and asks for a response at each end of speech
 * (and cancels a response being played when it starts talking), as a push-to-talk client: a noise
 * goes out as audio only. It reads audio deltas as reply
 * audio, `response.done` as the reply's end (`cancelled`: the bot stopped for a barge-in; a
 * response that only called a function is not the end), and does what a real client must: after a
 * stop it truncates the interrupted item to the milliseconds its player actually played, and it
 * answers a function call with its output after `toolResultMs`, then asks for the next response.
 *
 * @example
 * ```ts
 * import { realtimeCaller } from "./caller.ts";
 * import { defaultSession } from "./codec.ts";
 * const format = { encoding: "pcm16" as const, sampleRateHz: 24000, frameMs: 20 };
 * const caller = realtimeCaller({ api: "ga", session: defaultSession("ga"), turnDetection: { mode: "server", silenceMs: 500, createResponse: true, interruptResponse: true } }, { wireFormat: format, replyFormat: format, parameters: {}, connectionKey: "0" });
 * console.log(JSON.parse(String(caller.opening()[0])).type); // "session.update"
 * ```
 */
export function realtimeCaller(settings: RealtimeCallerSettings, options: CallerOptions): CallerSide {
  const names = eventNames(settings.api);
  const manual = settings.turnDetection.mode === "manual";
  const toolResultMs = options.toolResultMs ?? 0;
  let lastAudio: Uint8Array | undefined;
  let lastFrame = "";
  let activeResponse = false;
  let lastResponseCancelled = false;
  /** A function call whose output was sent: the next response's first audio ends the tool's time. */
  let toolAwaitingAudio: { readonly name: string; readonly callId: string } | undefined;
  /** Audio item of the last delta (decode sets it, `answer` reads it for the same frame's event). */
  let deltaItemId: string | undefined;
  // The simulated player: items play back to back in arrival order.
  let playerEndMs = 0;
  let playingItem: { readonly id: string; receivedMs: number } | undefined;

  const decodeMessage = (
    message: Readonly<Record<string, unknown>> & { type: string },
  ): SessionEventBody[] => {
    const type = message.type;
    switch (type) {
      case "session.created":
        return [{ kind: "connected", sessionId: stringOf(message.session, "id") ?? "" }];
      case "error": {
        const error = objectOf(message, "error");
        const code = stringOf(error, "code") ?? stringOf(error, "type") ?? "error";
        return [{
          kind: "server_error",
          message: `${code}: ${stringOf(error, "message") ?? "(no message)"}`,
        }];
      }
      case "input_audio_buffer.speech_started":
        return [{ kind: "vad", edge: "start" }];
      case "input_audio_buffer.speech_stopped":
        return [{ kind: "vad", edge: "end" }];
      case "response.created": {
        activeResponse = true;
        if (!lastResponseCancelled) return [];
        lastResponseCancelled = false;
        return [{ kind: "reset" }];
      }
      case names.audioDelta: {
        const delta = stringOf(message, "delta");
        if (delta === undefined) return [{ kind: "protocol_error", message: `${type} without a delta` }];
        deltaItemId = stringOf(message, "item_id") ?? "";
        const events: SessionEventBody[] = [];
        if (toolAwaitingAudio) {
          events.push({ kind: "tool_result", ...toolAwaitingAudio });
          toolAwaitingAudio = undefined;
        }
        events.push(base64AudioEvent(delta, options.replyFormat, type));
        return events;
      }
      case "response.function_call_arguments.done": {
        const callId = stringOf(message, "call_id");
        if (callId === undefined) {
          return [{
            kind: "protocol_error",
            message: "response.function_call_arguments.done without a call_id",
          }];
        }
        return [{ kind: "tool_call", name: stringOf(message, "name") ?? "", callId }];
      }
      case "response.done":
        activeResponse = false;
        return responseDone(objectOf(message, "response"));
      case names.audioDone:
      case names.transcriptDelta:
      case names.transcriptDone:
      case names.textDelta:
      case names.textDone:
        return [];
      default: {
        if (QUIET_EVENTS.has(type)) return [];
        const dialect = otherDialect(type, settings.api);
        if (dialect) {
          return [{
            kind: "protocol_error",
            message: `the server sent ${dialect === "beta" ? "beta" : "GA"} \`${type}\` to a ${
              settings.api === "ga" ? "GA" : "beta"
            } client: use --realtime-api ${dialect}`,
            wrongProtocol: true,
          }];
        }
        return [{ kind: "unknown", name: type }];
      }
    }
  };

  const responseDone = (response: Record<string, unknown> | undefined): SessionEventBody[] => {
    const status = stringOf(response, "status") ?? "completed";
    const details = objectOf(response, "status_details");
    const usage = objectOf(response, "usage");
    const events: SessionEventBody[] = [
      {
        kind: "response_status",
        status,
        reason: stringOf(details, "reason"),
        inputTokens: numberOf(usage, "input_tokens"),
        outputTokens: numberOf(usage, "output_tokens"),
      },
    ];
    if (status === "cancelled") {
      lastResponseCancelled = true;
      events.push({
        kind: "stop",
        message: `response.done cancelled (${stringOf(details, "reason") ?? "no reason"})`,
      });
      return events;
    }
    if (status === "failed") {
      const error = objectOf(details, "error");
      events.push({
        kind: "server_error",
        message: `response failed: ${stringOf(error, "code") ?? stringOf(error, "type") ?? "no code"}: ${
          stringOf(error, "message") ?? "(no message)"
        }`,
      });
      return events;
    }
    // A response that called a function is not the reply: the reply comes after the tool's output.
    const output = response?.output;
    const calledFunction = Array.isArray(output) &&
      output.some((item) => stringOf(item, "type") === "function_call");
    if (!calledFunction) events.push({ kind: "done" });
    return events;
  };

  const answer = (event: SessionEvent): readonly CallerAnswer[] => {
    switch (event.kind) {
      case "audio": {
        const id = deltaItemId ?? "";
        const startMs = Math.max(event.atMs, playerEndMs);
        if (playingItem?.id !== id) playingItem = { id, receivedMs: 0 };
        playingItem.receivedMs += event.durationMs ?? 0;
        playerEndMs = startMs + (event.durationMs ?? 0);
        return [];
      }
      case "stop": {
        const item = playingItem;
        const unplayedMs = Math.max(0, playerEndMs - event.atMs);
        playerEndMs = Math.min(playerEndMs, event.atMs);
        playingItem = undefined;
        if (!item || unplayedMs <= 0 || item.id === "") return [];
        const playedMs = Math.max(0, Math.floor(item.receivedMs - unplayedMs));
        return [{
          afterMs: 0,
          frames: [
            clientEvent("conversation.item.truncate", {
              item_id: item.id,
              content_index: 0,
              audio_end_ms: playedMs,
            }),
          ],
        }];
      }
      case "tool_call": {
        toolAwaitingAudio = { name: event.name, callId: event.callId };
        const output = clientEvent("conversation.item.create", {
          item: { type: "function_call_output", call_id: event.callId, output: JSON.stringify({ ok: true }) },
        });
        return [{ afterMs: toolResultMs, frames: [output, clientEvent("response.create")] }];
      }
      default:
        return [];
    }
  };

  return {
    opening: () => [clientEvent("session.update", { session: settings.session })],
    utterancePlan: () => {
      throw new Error("the Realtime API streams audio, not whole utterances");
    },
    audioFrame(audio): WireFrame {
      // Silence is one buffer frame after frame, and a clip's frames are shared by every caller: each is serialised once.
      if (audio !== lastAudio) {
        lastAudio = audio;
        lastFrame = encodeAppend(sharedBase64(audio));
      }
      return lastFrame;
    },
    decode(data, isBinary): SessionEventBody[] {
      const decoded = decodeJsonFrame(data, isBinary, "openai-realtime", typed);
      return decoded.ok ? decodeMessage(decoded.value) : decoded.events;
    },
    markPlayed: () => undefined,
    answer,
    // Manual turns: the caller's own turn-taking (push to talk) acts on speech, never on a noise.
    startOfSpeech: (
      role,
    ) => (manual && role !== "noise" && activeResponse ? [clientEvent("response.cancel")] : []),
    endOfSpeech: (
      role,
    ) => (manual && role !== "noise"
      ? [clientEvent("input_audio_buffer.commit"), clientEvent("response.create")]
      : []),
    closing: () => [],
  };
}
