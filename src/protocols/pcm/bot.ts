import { int16FromLittleEndian } from "../../audio/int16-le.ts";
import type { BotInput, BotOptions, BotSide, ReplyChunk, WireFrame } from "../adapter.ts";
import { fromBase64 } from "../base64.ts";
import { encodeControl } from "./codec.ts";

/** Reply chunks as binary frames, decoded once and shared by every connection. */
const chunkBytes = new WeakMap<ReplyChunk, Uint8Array>();

/**
 * The reference bot's side of raw PCM: the caller's binary frames are PCM16 at
 * `inputSampleRateHz` (for the bot's own VAD); its reply goes out as binary PCM16 chunks, `clear`
 * when it stops for a barge-in (and before a new reply), `response_done` after the last chunk.
 * Text from the caller is ignored.
 *
 * @example
 * ```ts
 * import { pcmBot } from "./bot.ts";
 * console.log(pcmBot({ inputSampleRateHz: 16000 }).stop()); // ['{"type":"clear"}']
 * ```
 */
export function pcmBot(options: BotOptions): BotSide {
  const none = (): WireFrame[] => [];
  return {
    greeting: none,
    decode: (data, isBinary): BotInput[] =>
      isBinary
        ? [{ kind: "audio", samples: int16FromLittleEndian(data), sampleRateHz: options.inputSampleRateHz }]
        : [{ kind: "ignored" }],
    replyChunk(chunk) {
      let bytes = chunkBytes.get(chunk);
      if (!bytes) {
        bytes = fromBase64(chunk.base64)!;
        chunkBytes.set(chunk, bytes);
      }
      return [bytes];
    },
    stop: () => [encodeControl("clear")],
    resume: none,
    reset: () => [encodeControl("clear")],
    done: () => [encodeControl("response_done")],
    metrics: none,
    toolCall: none,
    toolResult: none,
    error: none,
  };
}
