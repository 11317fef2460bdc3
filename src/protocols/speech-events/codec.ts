/**
 * The codec of voxbench's default wire protocol, "speech-events" (the seed server's protocol):
 * JSON text frames, whole utterances as base64 WAV in `speech_end`, reply audio as base64 chunks in
 * `play_audio`. The caller side (caller.ts) and the reference bot's side (bot.ts) both use this one file, so the two
 * can never drift apart.
 *
 * @example
 * ```ts
 * import { decodeServerEvent, encodeClientMessage } from "./codec.ts";
 * console.log(encodeClientMessage({ type: "speech_start" })); // '{"type":"speech_start"}'
 * console.log(decodeServerEvent('{"event":"playback_resume"}')); // { ok: true, value: { event: "playback_resume" } }
 * ```
 */
import { type Decoded, fail, parseJsonObject } from "../json.ts";

export type { Decoded } from "../json.ts";

/** Messages a caller sends. */
export type ClientMessage =
  | { readonly type: "speech_start" }
  | {
    readonly type: "speech_end";
    /** Base64 of a WAV file (or of raw PCM16 LE at the server's input rate). */
    readonly audio: string;
    /** Optional hint; the reference server treats "tool_call" as a tool turn. */
    readonly intent?: string;
  }
  | { readonly type: "client_playback_started" }
  | { readonly type: "client_playback_complete" };

/** Stage timings a server may report for a turn (all optional: servers report what they have). */
export interface ServerTimings {
  readonly turn?: number;
  readonly stt_ms?: number;
  readonly llm_ttft_ms?: number;
  readonly tts_ttfb_ms?: number;
  readonly tool_ms?: number;
  readonly queue_ms?: number;
  readonly [key: string]: unknown;
}

/** Events a server sends. */
export type ServerEvent =
  | { readonly event: "connected"; readonly session_id: string }
  | { readonly event: "play_audio"; readonly audio: string }
  | { readonly event: "stop_playback"; readonly message?: string }
  | { readonly event: "playback_resume" }
  | { readonly event: "playback_reset" }
  | { readonly event: "response_done" }
  | ({ readonly event: "metrics" } & ServerTimings)
  | { readonly event: "tool_call"; readonly name: string; readonly call_id: string }
  | {
    readonly event: "tool_result";
    readonly name: string;
    readonly call_id: string;
    readonly duration_ms?: number;
  }
  | { readonly event: "error"; readonly message: string };

/** Every event name a server may send. */
export const SERVER_EVENT_NAMES = [
  "connected",
  "play_audio",
  "stop_playback",
  "playback_resume",
  "playback_reset",
  "response_done",
  "metrics",
  "tool_call",
  "tool_result",
  "error",
] as const;

/** Serialises a client message. */
export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

/** Serialises a server event. */
export function encodeServerEvent(event: ServerEvent): string {
  return JSON.stringify(event);
}

/** Parses and validates a client message (server side). */
export function decodeClientMessage(text: string): Decoded<ClientMessage> {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const message = parsed.value;
  switch (message.type) {
    case "speech_start":
    case "client_playback_started":
    case "client_playback_complete":
      return { ok: true, value: { type: message.type } };
    case "speech_end": {
      if (typeof message.audio !== "string" || message.audio.length === 0) {
        return fail("speech_end without audio");
      }
      if (message.intent !== undefined && typeof message.intent !== "string") {
        return fail("speech_end intent must be a string");
      }
      return {
        ok: true,
        value: {
          type: "speech_end",
          audio: message.audio,
          ...(message.intent !== undefined ? { intent: message.intent } : {}),
        },
      };
    }
    case undefined:
      return fail('message has no "type"');
    default:
      return fail(`unknown message type "${String(message.type)}"`);
  }
}

/** Parses and validates a server event (client side). Unknown event names are reported, not thrown. */
export function decodeServerEvent(text: string): Decoded<ServerEvent> {
  const parsed = parseJsonObject(text);
  return parsed.ok ? serverEventFrom(parsed.value) : parsed;
}

/** Validates a parsed server event. */
export function serverEventFrom(event: Readonly<Record<string, unknown>>): Decoded<ServerEvent> {
  switch (event.event) {
    case "connected":
      return { ok: true, value: { event: "connected", session_id: String(event.session_id ?? "") } };
    case "play_audio":
      if (typeof event.audio !== "string") return fail("play_audio without audio");
      return { ok: true, value: { event: "play_audio", audio: event.audio } };
    case "stop_playback":
      return {
        ok: true,
        value: {
          event: "stop_playback",
          ...(typeof event.message === "string" ? { message: event.message } : {}),
        },
      };
    case "playback_resume":
    case "playback_reset":
    case "response_done":
      return { ok: true, value: { event: event.event } };
    case "metrics":
      return { ok: true, value: event as ServerEvent };
    case "tool_call":
    case "tool_result":
      return {
        ok: true,
        value: {
          ...event,
          name: String(event.name ?? ""),
          call_id: String(event.call_id ?? ""),
        } as ServerEvent,
      };
    case "error":
      return {
        ok: true,
        value: {
          event: "error",
          message: typeof event.message === "string" ? event.message : JSON.stringify(event.message ?? ""),
        },
      };
    case undefined:
      return fail('event has no "event" field');
    default:
      return fail(`unknown event "${String(event.event)}"`);
  }
}
