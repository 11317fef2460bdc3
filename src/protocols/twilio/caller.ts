import { createHash } from "node:crypto";
import type { CallerOptions, CallerSide, SessionEventBody } from "../adapter.ts";
import { sharedBase64 } from "../base64.ts";
import { decodeJsonFrame } from "../json.ts";
import { base64AudioEvent } from "../reply-audio.ts";
import {
  botMessageFrom,
  type CallIdentity,
  encodeCallerMark,
  encodeConnected,
  encodeMedia,
  encodeStart,
  encodeStop,
} from "./codec.ts";

/** Twilio-shaped identifiers ("MZ" and 32 hex digits...), derived from the connection's key so a seeded run repeats them. */
export function callIdentity(connectionKey: string): CallIdentity {
  const hex = (prefix: string): string =>
    prefix + createHash("sha256").update(`${prefix}:${connectionKey}`).digest("hex").slice(0, 32);
  return { streamSid: hex("MZ"), callSid: hex("CA"), accountSid: hex("AC") };
}

/**
 * The caller side of Twilio Media Streams: voxbench plays Twilio. On open it sends `connected` and
 * `start` (with `customParameters` from --param); then a `media` message per microphone frame for
 * the whole call (chunk and timestamp counting from the stream's start, numbers as strings, as
 * Twilio does); `mark` answers when the bot's audio before a mark has played; `stop` at hang-up. The
 * bot's `media` is reply audio (mu-law 8 kHz), its `clear` the bot stopping (barge-in).
 *
 * @example
 * ```ts
 * import { twilioCaller } from "./caller.ts";
 * const caller = twilioCaller({ wireFormat: { encoding: "mulaw", sampleRateHz: 8000, frameMs: 20 }, replyFormat: { encoding: "mulaw", sampleRateHz: 8000 }, parameters: { tenant: "a" }, connectionKey: "run:0:0" });
 * console.log(caller.opening().map((frame) => JSON.parse(String(frame)).event)); // ["connected", "start"]
 * ```
 */
export function twilioCaller(options: CallerOptions): CallerSide {
  const identity = callIdentity(options.connectionKey);
  const frameMs = options.wireFormat.frameMs ?? 20;
  let sequenceNumber = 0;
  let chunks = 0;
  let lastAudio: Uint8Array | undefined;
  let lastPayload = "";
  return {
    sessionId: identity.streamSid,
    opening: () => [encodeConnected(), encodeStart(identity, ++sequenceNumber, options.parameters)],
    utterancePlan: () => {
      throw new Error("Twilio Media Streams streams audio frames, not whole utterances");
    },
    audioFrame(audio) {
      // Silence is the same buffer frame after frame, and a clip's frames are shared by every caller: each is encoded once.
      if (audio !== lastAudio) {
        lastAudio = audio;
        lastPayload = sharedBase64(audio);
      }
      const chunk = ++chunks;
      return encodeMedia({
        streamSid: identity.streamSid,
        sequenceNumber: ++sequenceNumber,
        chunk,
        timestampMs: (chunk - 1) * frameMs,
        payload: lastPayload,
      });
    },
    decode(data, isBinary): SessionEventBody[] {
      const decoded = decodeJsonFrame(data, isBinary, "twilio", botMessageFrom);
      if (!decoded.ok) return decoded.events;
      const message = decoded.value;
      if (message.streamSid !== identity.streamSid) {
        return [{
          kind: "protocol_error",
          message: `${message.event} for another stream (streamSid ${
            message.streamSid.slice(0, 40)
          }, this call's is ${identity.streamSid})`,
        }];
      }
      switch (message.event) {
        case "media":
          return [base64AudioEvent(message.payload, options.replyFormat, "media")];
        case "mark":
          return [{ kind: "mark", name: message.name }];
        case "clear":
          return [{ kind: "stop", message: "clear" }];
      }
    },
    markPlayed: (name) => encodeCallerMark(identity.streamSid, ++sequenceNumber, name),
    closing: () => [encodeStop(identity, ++sequenceNumber)],
  };
}
