/**
 * Recognises a message of another protocol, so that a bot answering in the wrong protocol fails
 * with a hint instead of silence: "the server sent Twilio-style `media`; did you mean --protocol
 * twilio?".
 */

interface Signature {
  readonly protocol: string;
  readonly style: string;
  /** The message's name if it looks like this protocol's, else undefined. */
  readonly match: (message: Readonly<Record<string, unknown>>) => string | undefined;
}

const SPEECH_EVENTS_EVENTS = new Set([
  "play_audio",
  "stop_playback",
  "playback_resume",
  "playback_reset",
  "response_done",
]);
const TWILIO_EVENTS = new Set(["media", "clear", "mark", "start", "stop", "connected", "dtmf"]);
const REALTIME_PREFIXES = [
  "session.",
  "response.",
  "input_audio_buffer.",
  "conversation.",
  "output_audio_buffer.",
  "rate_limits.",
];

const SIGNATURES: readonly Signature[] = [
  {
    protocol: "speech-events",
    style: "speech-events",
    match: (message) => {
      const event = message.event;
      if (typeof event !== "string") return undefined;
      if (SPEECH_EVENTS_EVENTS.has(event)) return event;
      return event === "connected" && "session_id" in message ? event : undefined;
    },
  },
  {
    protocol: "twilio",
    style: "Twilio-style",
    match: (message) => {
      const event = message.event;
      if (typeof event !== "string" || !TWILIO_EVENTS.has(event)) return undefined;
      return "streamSid" in message || event === "clear" || (event === "connected" && "protocol" in message)
        ? event
        : undefined;
    },
  },
  {
    protocol: "openai-realtime",
    style: "OpenAI Realtime-style",
    match: (message) => {
      const type = message.type;
      return typeof type === "string" && REALTIME_PREFIXES.some((prefix) => type.startsWith(prefix))
        ? type
        : undefined;
    },
  },
];

/**
 * A hint when `message` (a parsed JSON object from the bot) belongs to another protocol than
 * `expected`, else undefined.
 *
 * @example
 * ```ts
 * import { otherProtocolHint } from "./hints.ts";
 * console.log(otherProtocolHint({ event: "media", streamSid: "MZ1", media: { payload: "" } }, "speech-events"));
 * // "the server sent Twilio-style `media`; did you mean --protocol twilio?"
 * ```
 */
export function otherProtocolHint(
  message: Readonly<Record<string, unknown>>,
  expected: string,
): string | undefined {
  for (const signature of SIGNATURES) {
    if (signature.protocol === expected) continue;
    const name = signature.match(message);
    if (name !== undefined) {
      return `the server sent ${signature.style} \`${name}\`; did you mean --protocol ${signature.protocol}?`;
    }
  }
  return undefined;
}
