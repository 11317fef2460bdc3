import type { AudioAsset } from "../audio/asset.ts";
import { silence } from "../audio/silence.ts";
import { createClip } from "../audio/pcm.ts";
import { encodeForWire, wireDurationMs, type WireFormat } from "../audio/wire-format.ts";
import { frameAudio } from "../audio/frames.ts";
import { toBase64 } from "../protocol/base64.ts";
import { encodeServerEvent } from "../protocol/speech-events.ts";

/** A bot reply ready to send: one pre-serialised `play_audio` message per chunk (UTF-8 bytes of the JSON). */
export interface ReplyClip {
  readonly name: string;
  readonly durationMs: number;
  readonly chunkMessages: readonly Uint8Array[];
  readonly chunkDurationsMs: readonly number[];
}

/**
 * Prepares the bot's replies once at start-up: optional leading silence, conversion to the reply
 * format, chunking, base64 and JSON. Sending a chunk is then a single `ws.send` of a shared string,
 * which keeps the server's own timing tight at a thousand concurrent turns.
 *
 * @example
 * ```ts
 * import { prepareReplyClips } from "./reply-voice.ts";
 * import { AudioAsset } from "../audio/asset.ts";
 * import { silence } from "../audio/silence.ts";
 * const bot = new AudioAsset({ name: "bot", role: "bot", clip: silence(1000) });
 * const [reply] = prepareReplyClips([bot], { encoding: "pcm16", sampleRateHz: 16000 }, 100, 0);
 * console.log(reply?.chunkMessages.length); // 10
 * ```
 */
const utf8 = new TextEncoder();

export function prepareReplyClips(
  assets: readonly AudioAsset[],
  format: WireFormat,
  chunkMs: number,
  leadingSilenceMs: number,
): ReplyClip[] {
  return assets.map((asset) => {
    let clip = asset.clip;
    if (leadingSilenceMs > 0) {
      const lead = silence(leadingSilenceMs, { sampleRateHz: clip.sampleRateHz });
      const joined = new Int16Array(lead.samples.length + clip.samples.length);
      joined.set(lead.samples);
      joined.set(clip.samples, lead.samples.length);
      clip = createClip(joined, clip.sampleRateHz);
    }
    const encoded = encodeForWire(clip, format);
    const chunks = frameAudio(encoded, chunkMs);
    return {
      name: asset.name,
      durationMs: encoded.durationMs,
      chunkMessages: chunks.map((chunk) => utf8.encode(encodeServerEvent({ event: "play_audio", audio: toBase64(chunk) }))),
      chunkDurationsMs: chunks.map((chunk) => wireDurationMs(chunk.length, format)),
    };
  });
}
