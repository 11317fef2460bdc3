/**
 * The codec of OpenAI's Realtime API over WebSocket: JSON text events named by `type`, audio as
 * base64 inside them. Two dialects: GA (`response.output_audio.delta`, nested `session.audio`) and
 * beta (`response.audio.delta`, flat session fields, the `OpenAI-Beta: realtime=v1` header). Both
 * sides use this file: voxbench's caller plays a Realtime client, the reference bot plays the API.
 *
 * @example
 * ```ts
 * import { eventNames, sessionShape } from "./codec.ts";
 * console.log(eventNames("beta").audioDelta); // "response.audio.delta"
 * console.log(sessionShape({ audio: { input: { format: { type: "audio/pcmu" }, turn_detection: null } } }).input);
 * // { encoding: "mulaw", sampleRateHz: 8000 }
 * ```
 */
import type { WireFormat } from "../../audio/wire-format.ts";

/** Which dialect of the Realtime API: "ga" (the default) or "beta". */
export type RealtimeApi = "ga" | "beta";

/** The header the beta API needs. */
export const BETA_HEADER = { name: "OpenAI-Beta", value: "realtime=v1" } as const;

/** The event names that differ between the dialects. */
export interface EventNames {
  readonly audioDelta: string;
  readonly audioDone: string;
  readonly transcriptDelta: string;
  readonly transcriptDone: string;
  readonly textDelta: string;
  readonly textDone: string;
  readonly itemAdded: string;
}

const GA_NAMES: EventNames = {
  audioDelta: "response.output_audio.delta",
  audioDone: "response.output_audio.done",
  transcriptDelta: "response.output_audio_transcript.delta",
  transcriptDone: "response.output_audio_transcript.done",
  textDelta: "response.output_text.delta",
  textDone: "response.output_text.done",
  itemAdded: "conversation.item.added",
};

const BETA_NAMES: EventNames = {
  audioDelta: "response.audio.delta",
  audioDone: "response.audio.done",
  transcriptDelta: "response.audio_transcript.delta",
  transcriptDone: "response.audio_transcript.done",
  textDelta: "response.text.delta",
  textDone: "response.text.done",
  itemAdded: "conversation.item.created",
};

/** The names of `api`'s events. */
export function eventNames(api: RealtimeApi): EventNames {
  return api === "ga" ? GA_NAMES : BETA_NAMES;
}

/**
 * Whether `type` is an event name of the other dialect only (a beta server answering a GA client,
 * or the reverse): the dialect it belongs to, else undefined.
 */
export function otherDialect(type: string, api: RealtimeApi): RealtimeApi | undefined {
  const other: RealtimeApi = api === "ga" ? "beta" : "ga";
  const names = eventNames(other);
  const own = eventNames(api);
  for (
    const key of [
      "audioDelta",
      "audioDone",
      "transcriptDelta",
      "transcriptDone",
      "textDelta",
      "textDone",
    ] as const
  ) {
    if (names[key] === type && own[key] !== type) return other;
  }
  return undefined;
}

/** Turn detection as a session configures it: the server's VAD, or manual commits (`turn_detection: null`). */
export type TurnDetection =
  | {
    readonly mode: "server";
    readonly silenceMs: number | undefined;
    readonly createResponse: boolean;
    readonly interruptResponse: boolean;
  }
  | { readonly mode: "manual" };

/** What voxbench reads from a session configuration (GA or beta shape). */
export interface SessionShape {
  /** The caller's audio format (undefined: not set, the API's default PCM16 24 kHz). */
  readonly input: Omit<WireFormat, "frameMs"> | undefined;
  readonly output: Omit<WireFormat, "frameMs"> | undefined;
  /** Undefined when the configuration does not say (the API's default: server VAD). */
  readonly turnDetection: TurnDetection | undefined;
}

/** Realtime's only PCM rate. */
export const REALTIME_PCM_RATE_HZ = 24000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A GA format object (`{type:"audio/pcm",rate:24000}`) or a beta format name (`"g711_ulaw"`) as a wire format. */
export function formatFrom(value: unknown): Omit<WireFormat, "frameMs"> | string | undefined {
  if (value === undefined) return undefined;
  const type = isObject(value) ? value.type : value;
  switch (type) {
    case "audio/pcm":
    case "pcm16":
      if (isObject(value) && value.rate !== undefined && value.rate !== REALTIME_PCM_RATE_HZ) {
        return `audio/pcm at ${String(value.rate)} Hz (Realtime's PCM is 24000 Hz only)`;
      }
      return { encoding: "pcm16", sampleRateHz: REALTIME_PCM_RATE_HZ };
    case "audio/pcmu":
    case "g711_ulaw":
      return { encoding: "mulaw", sampleRateHz: 8000 };
    case "audio/pcma":
    case "g711_alaw":
      return { encoding: "alaw", sampleRateHz: 8000 };
    default:
      return `unknown audio format ${
        JSON.stringify(type)
      } (known: audio/pcm, audio/pcmu, audio/pcma, pcm16, g711_ulaw, g711_alaw)`;
  }
}

function turnDetectionFrom(value: unknown): TurnDetection | undefined | string {
  if (value === undefined) return undefined;
  if (value === null) return { mode: "manual" };
  if (!isObject(value)) return "turn_detection must be an object or null";
  const silence = value.silence_duration_ms;
  if (silence !== undefined && !(typeof silence === "number" && silence > 0)) {
    return "turn_detection.silence_duration_ms must be a number above 0";
  }
  return {
    mode: "server",
    silenceMs: typeof silence === "number" ? silence : undefined,
    createResponse: value.create_response !== false,
    interruptResponse: value.interrupt_response !== false,
  };
}

/**
 * Reads formats and turn detection from a session object, GA (`audio.input.format`,
 * `audio.input.turn_detection`) or beta (`input_audio_format`, `turn_detection`). A field of the
 * wrong kind is a problem string.
 */
export function sessionShape(session: Readonly<Record<string, unknown>>): SessionShape | string {
  const audio = isObject(session.audio) ? session.audio : undefined;
  const inputAudio = audio && isObject(audio.input) ? audio.input : undefined;
  const outputAudio = audio && isObject(audio.output) ? audio.output : undefined;
  const input = formatFrom(inputAudio?.format ?? session.input_audio_format);
  if (typeof input === "string") return `input format: ${input}`;
  const output = formatFrom(outputAudio?.format ?? session.output_audio_format);
  if (typeof output === "string") return `output format: ${output}`;
  const detection = inputAudio && "turn_detection" in inputAudio
    ? inputAudio.turn_detection
    : session.turn_detection;
  const turnDetection = turnDetectionFrom(detection);
  if (typeof turnDetection === "string") return turnDetection;
  return { input, output, turnDetection };
}

/** The function the default session offers, and the reference bot calls for a tool request. */
export const DEFAULT_TOOL = {
  type: "function",
  name: "lookup_account",
  description: "Look up the caller's account",
  parameters: { type: "object", properties: {} },
} as const;

/**
 * The session voxbench configures when none is given: audio in and out as PCM16 24 kHz, server
 * VAD (500 ms of silence ends a turn) that answers and interrupts, and one tool.
 */
export function defaultSession(api: RealtimeApi): Record<string, unknown> {
  const turnDetection = {
    type: "server_vad",
    threshold: 0.5,
    prefix_padding_ms: 300,
    silence_duration_ms: 500,
    create_response: true,
    interrupt_response: true,
  };
  if (api === "beta") {
    return {
      modalities: ["audio", "text"],
      input_audio_format: "pcm16",
      output_audio_format: "pcm16",
      turn_detection: turnDetection,
      voice: "alloy",
      tools: [DEFAULT_TOOL],
      tool_choice: "auto",
    };
  }
  return {
    type: "realtime",
    output_modalities: ["audio"],
    audio: {
      input: { format: { type: "audio/pcm", rate: REALTIME_PCM_RATE_HZ }, turn_detection: turnDetection },
      output: { format: { type: "audio/pcm", rate: REALTIME_PCM_RATE_HZ }, voice: "marin" },
    },
    tools: [DEFAULT_TOOL],
    tool_choice: "auto",
  };
}

/** A format as `api` names it in a session. */
export function formatFor(format: Omit<WireFormat, "frameMs">, api: RealtimeApi): unknown {
  if (api === "beta") {
    return format.encoding === "pcm16" ? "pcm16" : format.encoding === "mulaw" ? "g711_ulaw" : "g711_alaw";
  }
  return format.encoding === "pcm16"
    ? { type: "audio/pcm", rate: REALTIME_PCM_RATE_HZ }
    : { type: format.encoding === "mulaw" ? "audio/pcmu" : "audio/pcma" };
}

/** One client event, serialised. */
export function clientEvent(type: string, fields: Readonly<Record<string, unknown>> = {}): string {
  return JSON.stringify({ type, ...fields });
}

/** `input_audio_buffer.append`, written by hand: 50 a second per caller, the payload already base64. */
export function encodeAppend(base64: string): string {
  return `{"type":"input_audio_buffer.append","audio":"${base64}"}`;
}

/** A string field of an object, if it is one. */
export function stringOf(object: unknown, key: string): string | undefined {
  if (!isObject(object)) return undefined;
  const value = object[key];
  return typeof value === "string" ? value : undefined;
}

/** A finite number field of an object, if it is one. */
export function numberOf(object: unknown, key: string): number | undefined {
  if (!isObject(object)) return undefined;
  const value = object[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** An object field, if it is one. */
export function objectOf(object: unknown, key: string): Record<string, unknown> | undefined {
  if (!isObject(object)) return undefined;
  const value = object[key];
  return isObject(value) ? value : undefined;
}
