import { AudioError } from "../audio/audio-error.ts";
import { HOST_IS_LITTLE_ENDIAN } from "../audio/int16-le.ts";
import { decodeWav } from "../audio/wav-decode.ts";
import { decodeWireAudio, wireDurationMs } from "../audio/wire-format.ts";
import type { ReplyAudioFormat, SessionEventBody } from "./adapter.ts";
import { fromBase64 } from "./base64.ts";

function hasMagic(bytes: Uint8Array, offset: number, text: string): boolean {
  if (bytes.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * The audio event of one reply payload: a WAV file when it carries a RIFF header, raw audio in
 * `format` otherwise. MP3 (with an ID3 tag) and Ogg cannot be decoded here: they are counted, not
 * measured. (MP3 frame sync alone is not sniffed: raw PCM16 starts with the same bytes far too often.)
 *
 * @example
 * ```ts
 * import { replyAudioEvent } from "./reply-audio.ts";
 * const event = replyAudioEvent(new Uint8Array(160).fill(0xff), { encoding: "mulaw", sampleRateHz: 8000 });
 * console.log(event.kind === "audio" && event.durationMs); // 20
 * ```
 */
export function replyAudioEvent(bytes: Uint8Array, format: ReplyAudioFormat): SessionEventBody {
  return audioEventOf(bytes, format, false);
}

/** {@link replyAudioEvent}; with `owned` (bytes no one else holds), PCM16 samples may be a view of them, not a copy. */
function audioEventOf(bytes: Uint8Array, format: ReplyAudioFormat, owned: boolean): SessionEventBody {
  const unknown = {
    kind: "audio" as const,
    samples: undefined,
    sampleRateHz: undefined,
    durationMs: undefined,
    byteLength: bytes.length,
  };
  if (hasMagic(bytes, 0, "RIFF") && hasMagic(bytes, 8, "WAVE")) {
    try {
      const { clip, info } = decodeWav(bytes, "reply audio");
      return {
        kind: "audio",
        samples: clip.samples,
        sampleRateHz: clip.sampleRateHz,
        durationMs: info.durationMs,
        byteLength: bytes.length,
      };
    } catch (error) {
      if (error instanceof AudioError) return unknown;
      throw error;
    }
  }
  const id3 = hasMagic(bytes, 0, "ID3") && (bytes[3] === 2 || bytes[3] === 3 || bytes[3] === 4) &&
    bytes[4] === 0;
  const ogg = hasMagic(bytes, 0, "OggS") && bytes[4] === 0;
  if (id3 || ogg) return unknown;
  return {
    kind: "audio",
    samples: owned && format.encoding === "pcm16" && HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0
      ? new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1)
      : decodeWireAudio(bytes, format),
    sampleRateHz: format.sampleRateHz,
    durationMs: wireDurationMs(bytes.length, format),
    byteLength: bytes.length,
  };
}

/** The audio event of a base64 payload, or a protocol error naming `what` when it is not base64. */
export function base64AudioEvent(base64: string, format: ReplyAudioFormat, what: string): SessionEventBody {
  const bytes = fromBase64(base64);
  if (!bytes) return { kind: "protocol_error", message: `${what} payload is not valid base64` };
  return audioEventOf(bytes, format, true);
}
