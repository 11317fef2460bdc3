import { decodeMuLaw } from "../../audio/g711.ts";
import type { BotInput, BotSide, WireFrame } from "../adapter.ts";
import { fromBase64 } from "../base64.ts";
import { frameText } from "../json.ts";
import { encodeBotMessage, parseCallerMessage } from "./codec.ts";

/**
 * The reference bot's side of Twilio Media Streams: it reads Twilio's connected, start (learning
 * the streamSid), media (the caller's mu-law audio, for the bot's own VAD), mark answers and stop;
 * it sends its reply as `media` messages, each followed by a `mark` (as Vocode does, so the
 * caller's playback can be followed), and `clear` when it stops for a barge-in. Twilio has no
 * end-of-reply, resume, metrics, tool or error message: those send nothing.
 *
 * @example
 * ```ts
 * import { twilioBot } from "./bot.ts";
 * const bot = twilioBot();
 * bot.decode(new TextEncoder().encode('{"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"streamSid":"MZ1","callSid":"CA1","accountSid":"AC1"}}'), false);
 * console.log(bot.stop()); // ['{"event":"clear","streamSid":"MZ1"}']
 * ```
 */
export function twilioBot(): BotSide {
  let streamSid = "";
  const none = (): WireFrame[] => [];
  return {
    greeting: none,
    decode(data, isBinary): BotInput[] {
      if (isBinary) {
        return [{ kind: "invalid", reason: "binary frame: Twilio Media Streams messages are JSON text" }];
      }
      const decoded = parseCallerMessage(frameText(data));
      if (!decoded.ok) return [{ kind: "invalid", reason: decoded.reason }];
      const message = decoded.value;
      switch (message.event) {
        case "start":
          streamSid = message.streamSid;
          return [{ kind: "ignored" }];
        case "media": {
          const bytes = fromBase64(message.payload);
          return bytes
            ? [{ kind: "audio", samples: decodeMuLaw(bytes), sampleRateHz: 8000 }]
            : [{ kind: "invalid", reason: "media payload is not valid base64" }];
        }
        case "mark":
          return [{ kind: "mark", name: message.name }];
        case "stop":
          return [{ kind: "hangup" }];
        default:
          return [{ kind: "ignored" }];
      }
    },
    replyChunk: (chunk) => [
      encodeBotMessage({ event: "media", streamSid, payload: chunk.base64 }),
      encodeBotMessage({ event: "mark", streamSid, name: `chunk-${chunk.index}` }),
    ],
    stop: () => [encodeBotMessage({ event: "clear", streamSid })],
    resume: none,
    reset: () => [encodeBotMessage({ event: "clear", streamSid })],
    done: none,
    metrics: none,
    toolCall: none,
    toolResult: none,
    error: none,
  };
}
