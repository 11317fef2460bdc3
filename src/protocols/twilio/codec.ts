/**
 * The codec of Twilio Media Streams (bidirectional `<Connect><Stream>`), as Twilio documents its
 * WebSocket messages: JSON text frames only; numeric fields of Twilio's own messages are strings;
 * audio is base64 mu-law at 8 kHz, 20 ms per `media` message from Twilio, any length from the bot.
 * Both sides use this file: voxbench's caller plays Twilio, the reference bot plays a bot.
 *
 * @example
 * ```ts
 * import { encodeMedia, parseBotMessage } from "./codec.ts";
 * const frame = encodeMedia({ streamSid: "MZ1", sequenceNumber: 2, chunk: 1, timestampMs: 0, payload: "//8=" });
 * console.log(frame); // '{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"//8="},"streamSid":"MZ1"}'
 * console.log(parseBotMessage('{"event":"clear","streamSid":"MZ1"}')); // { ok: true, value: { event: "clear", streamSid: "MZ1" } }
 * ```
 */
import { type Decoded, fail, parseJsonObject } from "../json.ts";

/** Twilio's media format: mu-law, 8 kHz, mono. */
export const TWILIO_MEDIA_FORMAT = { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 } as const;

/** The identifiers of one call, as Twilio sends them in `start`. */
export interface CallIdentity {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
}

/** Messages a bot sends to Twilio. */
export type BotMessage =
  | { readonly event: "media"; readonly streamSid: string; readonly payload: string }
  | { readonly event: "mark"; readonly streamSid: string; readonly name: string }
  | { readonly event: "clear"; readonly streamSid: string };

/** Messages Twilio sends to a bot (the fields the reference bot reads). */
export type CallerMessage =
  | { readonly event: "connected" }
  | {
    readonly event: "start";
    readonly streamSid: string;
    readonly start: CallIdentity & { readonly customParameters: Readonly<Record<string, string>> };
  }
  | {
    readonly event: "media";
    readonly streamSid: string;
    readonly payload: string;
    readonly chunk: number;
    readonly timestampMs: number;
  }
  | { readonly event: "mark"; readonly streamSid: string; readonly name: string }
  | { readonly event: "dtmf"; readonly streamSid: string; readonly digit: string }
  | { readonly event: "stop"; readonly streamSid: string };

/** `{"event":"connected",...}`, Twilio's first message. */
export function encodeConnected(): string {
  return JSON.stringify({ event: "connected", protocol: "Call", version: "1.0.0" });
}

/** Twilio's `start`, with the stream's identity, format and custom parameters. */
export function encodeStart(
  identity: CallIdentity,
  sequenceNumber: number,
  customParameters: Readonly<Record<string, string>>,
): string {
  return JSON.stringify({
    event: "start",
    sequenceNumber: String(sequenceNumber),
    start: {
      accountSid: identity.accountSid,
      streamSid: identity.streamSid,
      callSid: identity.callSid,
      tracks: ["inbound"],
      customParameters,
      mediaFormat: TWILIO_MEDIA_FORMAT,
    },
    streamSid: identity.streamSid,
  });
}

/** One of Twilio's `media` messages: `chunk` counts from 1, `timestamp` is ms since the stream started. */
export function encodeMedia(
  media: { streamSid: string; sequenceNumber: number; chunk: number; timestampMs: number; payload: string },
): string {
  // Written out by hand: 50 of these a second per caller, and the payload is already base64.
  return `{"event":"media","sequenceNumber":"${media.sequenceNumber}","media":{"track":"inbound","chunk":"${media.chunk}","timestamp":"${
    Math.round(media.timestampMs)
  }","payload":"${media.payload}"},"streamSid":${JSON.stringify(media.streamSid)}}`;
}

/** Twilio's answer to a bot's mark, once the audio before it has played. */
export function encodeCallerMark(streamSid: string, sequenceNumber: number, name: string): string {
  return JSON.stringify({ event: "mark", sequenceNumber: String(sequenceNumber), streamSid, mark: { name } });
}

/** Twilio's `stop`, when the call ends. */
export function encodeStop(identity: CallIdentity, sequenceNumber: number): string {
  return JSON.stringify({
    event: "stop",
    sequenceNumber: String(sequenceNumber),
    streamSid: identity.streamSid,
    stop: { accountSid: identity.accountSid, callSid: identity.callSid },
  });
}

/** A bot's message to Twilio. */
export function encodeBotMessage(message: BotMessage): string {
  switch (message.event) {
    case "media":
      return `{"event":"media","streamSid":${
        JSON.stringify(message.streamSid)
      },"media":{"payload":"${message.payload}"}}`;
    case "mark":
      return JSON.stringify({ event: "mark", streamSid: message.streamSid, mark: { name: message.name } });
    case "clear":
      return JSON.stringify({ event: "clear", streamSid: message.streamSid });
  }
}

function stringField(object: unknown, key: string): string | undefined {
  if (typeof object !== "object" || object === null) return undefined;
  const value = (object as Record<string, unknown>)[key];
  return typeof value === "string" ? value : undefined;
}

/**
 * Validates a parsed message from a bot (caller side). Unknown event names are reported as
 * `unknown event "..."`, not thrown.
 */
export function botMessageFrom(message: Readonly<Record<string, unknown>>): Decoded<BotMessage> {
  const event = message.event;
  if (typeof event !== "string") return fail('message has no "event"');
  if (event !== "media" && event !== "mark" && event !== "clear") return fail(`unknown event "${event}"`);
  const streamSid = stringField(message, "streamSid");
  if (streamSid === undefined) return fail(`${event} without a streamSid`);
  if (event === "clear") return { ok: true, value: { event, streamSid } };
  if (event === "mark") {
    const name = stringField(message.mark, "name");
    return name === undefined
      ? fail("mark without mark.name")
      : { ok: true, value: { event, streamSid, name } };
  }
  const payload = stringField(message.media, "payload");
  return payload === undefined
    ? fail("media without media.payload")
    : { ok: true, value: { event, streamSid, payload } };
}

/** Parses and validates a bot's message (caller side). */
export function parseBotMessage(text: string): Decoded<BotMessage> {
  const parsed = parseJsonObject(text);
  return parsed.ok ? botMessageFrom(parsed.value) : parsed;
}

function numberString(object: unknown, key: string): number | undefined {
  const text = stringField(object, key);
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** Parses and validates a message from Twilio (bot side), checking Twilio's string-typed numbers. */
export function parseCallerMessage(text: string): Decoded<CallerMessage> {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const message = parsed.value;
  const event = message.event;
  if (event === "connected") return { ok: true, value: { event } };
  if (typeof event !== "string") return fail('message has no "event"');
  const streamSid = stringField(message, "streamSid");
  if (streamSid === undefined) return fail(`${event} without a streamSid`);
  switch (event) {
    case "start": {
      const start = message.start as Record<string, unknown> | undefined;
      const callSid = stringField(start, "callSid");
      const accountSid = stringField(start, "accountSid");
      if (callSid === undefined || accountSid === undefined) {
        return fail("start without start.callSid and start.accountSid");
      }
      const custom = start?.customParameters;
      const customParameters: Record<string, string> = {};
      if (typeof custom === "object" && custom !== null) {
        for (const [key, value] of Object.entries(custom)) {
          if (typeof value === "string") customParameters[key] = value;
        }
      }
      return {
        ok: true,
        value: { event, streamSid, start: { streamSid, callSid, accountSid, customParameters } },
      };
    }
    case "media": {
      const payload = stringField(message.media, "payload");
      const chunk = numberString(message.media, "chunk");
      const timestampMs = numberString(message.media, "timestamp");
      if (payload === undefined || chunk === undefined || timestampMs === undefined) {
        return fail("media needs media.payload and string numbers media.chunk and media.timestamp");
      }
      return { ok: true, value: { event, streamSid, payload, chunk, timestampMs } };
    }
    case "mark": {
      const name = stringField(message.mark, "name");
      return name === undefined
        ? fail("mark without mark.name")
        : { ok: true, value: { event, streamSid, name } };
    }
    case "dtmf": {
      const digit = stringField(message.dtmf, "digit");
      return digit === undefined
        ? fail("dtmf without dtmf.digit")
        : { ok: true, value: { event, streamSid, digit } };
    }
    case "stop":
      return { ok: true, value: { event, streamSid } };
    default:
      return fail(`unknown event "${event}"`);
  }
}
