import type { AudioAsset } from "../audio/asset.ts";
import { silence } from "../audio/silence.ts";
import { createClip } from "../audio/pcm.ts";
import { encodeForWire, wireDurationMs, type WireFormat } from "../audio/wire-format.ts";
import { frameAudio } from "../audio/frames.ts";
import type { ReplyChunk } from "../protocols/adapter.ts";
import { toBase64 } from "../protocols/base64.ts";

/** A bot reply ready to send: its chunks, base64 once, shared by every connection. */
export interface ReplyClip {
  readonly name: string;
  readonly durationMs: number;
  readonly chunks: readonly ReplyChunk[];
}

/**
 * Prepares the bot's replies once at start-up: optional leading silence, conversion to the reply
 * format, chunking and base64. Each protocol's bot side then wraps a chunk in its own message
 * (speech-events serialises each once for all connections).
 *
 * @example
 * ```ts
 * import { prepareReplyClips } from "./reply-voice.ts";
 * import { AudioAsset } from "../audio/asset.ts";
 * import { silence } from "../audio/silence.ts";
 * const bot = new AudioAsset({ name: "bot", role: "bot", clip: silence(1000) });
 * const [reply] = prepareReplyClips([bot], { encoding: "pcm16", sampleRateHz: 16000 }, 100, 0);
 * console.log(reply?.chunks.length); // 10
 * ```
 */
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
    return {
      name: asset.name,
      durationMs: encoded.durationMs,
      chunks: frameAudio(encoded, chunkMs).map((chunk, index) => ({
        base64: toBase64(chunk),
        durationMs: wireDurationMs(chunk.length, format),
        index,
      })),
    };
  });
}
