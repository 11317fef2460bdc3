import type { AudioAsset } from "../audio/asset.ts";
import { AudioError } from "../audio/audio-error.ts";
import { decodeWav } from "../audio/wav-decode.ts";
import { decodeWireAudio, wireDurationMs, wireFormatKey, type WireFormat } from "../audio/wire-format.ts";
import { fromBase64, toBase64 } from "./base64.ts";
import type { ClientProtocolAdapter, ReplyAudioFormat, SessionEventBody } from "./client-adapter.ts";
import { decodeServerEvent, encodeClientMessage } from "./speech-events.ts";

/** speech_end frames, built once per clip and format and shared by every caller. */
const speechEndCache = new WeakMap<AudioAsset, Map<string, string>>();

function cachedSpeechEnd(asset: AudioAsset, format: WireFormat, intent: string | undefined): string {
  let byFormat = speechEndCache.get(asset);
  if (!byFormat) {
    byFormat = new Map();
    speechEndCache.set(asset, byFormat);
  }
  const key = `${wireFormatKey(format)}|${intent ?? ""}`;
  let frame = byFormat.get(key);
  if (!frame) {
    const audio = toBase64(asset.wav(format));
    frame = encodeClientMessage({ type: "speech_end", audio, ...(intent !== undefined ? { intent } : {}) });
    byFormat.set(key, frame);
  }
  return frame;
}

const textDecoder = new TextDecoder();

/**
 * The client side of the seed protocol ("speech-events"): speech_start, then speech_end carrying
 * the whole utterance as a base64 WAV; replies arrive as base64 `play_audio` chunks, which are WAV
 * when they carry a RIFF header and raw audio in `replyFormat` otherwise.
 *
 * @example
 * ```ts
 * import { speechEventsAdapter } from "./speech-events-client.ts";
 * const adapter = speechEventsAdapter({ encoding: "pcm16", sampleRateHz: 16000 });
 * console.log(adapter.decode('{"event":"stop_playback"}', false)); // [{ kind: "stop", message: undefined }]
 * ```
 */
export function speechEventsAdapter(replyFormat: ReplyAudioFormat): ClientProtocolAdapter {
  const speechStart = encodeClientMessage({ type: "speech_start" });
  return {
    name: "speech-events",
    speechStart: () => speechStart,
    speechEnd: cachedSpeechEnd,
    decode(data, isBinary): SessionEventBody[] {
      if (isBinary) return [{ kind: "protocol_error", message: "binary frame where JSON text was expected" }];
      const text = typeof data === "string" ? data : textDecoder.decode(data);
      const decoded = decodeServerEvent(text);
      if (!decoded.ok) {
        if (decoded.reason.startsWith("unknown event")) {
          return [{ kind: "unknown", name: decoded.reason.replace(/^unknown event "(.*)"$/, "$1") }];
        }
        return [{ kind: "protocol_error", message: `${decoded.reason}: ${text.slice(0, 80)}` }];
      }
      const event = decoded.value;
      switch (event.event) {
        case "connected":
          return [{ kind: "connected", sessionId: event.session_id }];
        case "play_audio":
          return [decodeAudio(event.audio, replyFormat)];
        case "stop_playback":
          return [{ kind: "stop", message: event.message }];
        case "playback_resume":
          return [{ kind: "resume" }];
        case "playback_reset":
          return [{ kind: "reset" }];
        case "response_done":
          return [{ kind: "done" }];
        case "metrics":
          return [{ kind: "metrics", timings: event }];
        case "tool_call":
          return [{ kind: "tool_call", name: event.name, callId: event.call_id }];
        case "tool_result":
          return [{ kind: "tool_result", name: event.name, callId: event.call_id }];
        case "error":
          return [{ kind: "server_error", message: event.message }];
      }
    },
  };
}

function hasMagic(bytes: Uint8Array, offset: number, text: string): boolean {
  if (bytes.length < offset + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false;
  return true;
}

function decodeAudio(base64: string, replyFormat: ReplyAudioFormat): SessionEventBody {
  const bytes = fromBase64(base64);
  if (!bytes) return { kind: "protocol_error", message: "play_audio payload is not valid base64" };
  const unknown = { kind: "audio" as const, samples: undefined, sampleRateHz: undefined, durationMs: undefined, byteLength: bytes.length };
  if (hasMagic(bytes, 0, "RIFF") && hasMagic(bytes, 8, "WAVE")) {
    try {
      const { clip, info } = decodeWav(bytes, "play_audio");
      return { kind: "audio", samples: clip.samples, sampleRateHz: clip.sampleRateHz, durationMs: info.durationMs, byteLength: bytes.length };
    } catch (error) {
      if (error instanceof AudioError) return unknown;
      throw error;
    }
  }
  // MP3 with an ID3 tag and Ogg cannot be decoded here: counted, not measured. (MP3 frame sync
  // alone is not sniffed: raw PCM16 starts with the same bytes far too often.)
  const id3 = hasMagic(bytes, 0, "ID3") && (bytes[3] === 2 || bytes[3] === 3 || bytes[3] === 4) && bytes[4] === 0;
  const ogg = hasMagic(bytes, 0, "OggS") && bytes[4] === 0;
  if (id3 || ogg) return unknown;
  const format = { encoding: replyFormat.encoding, sampleRateHz: replyFormat.sampleRateHz };
  return {
    kind: "audio",
    samples: decodeWireAudio(bytes, format),
    sampleRateHz: replyFormat.sampleRateHz,
    durationMs: wireDurationMs(bytes.length, format),
    byteLength: bytes.length,
  };
}
