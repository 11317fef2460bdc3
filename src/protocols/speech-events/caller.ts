import type { AudioAsset } from "../../audio/asset.ts";
import { type WireFormat, wireFormatKey } from "../../audio/wire-format.ts";
import type {
  CallerOptions,
  CallerSide,
  ReplyAudioFormat,
  SessionEventBody,
  UtterancePlan,
  WireFrame,
} from "../adapter.ts";
import { toBase64 } from "../base64.ts";
import { decodeJsonFrame } from "../json.ts";
import { base64AudioEvent } from "../reply-audio.ts";
import { encodeClientMessage, serverEventFrom } from "./codec.ts";

/**
 * speech_end frames, built once per clip, format and intent and shared by every caller; as UTF-8
 * bytes, so that a send does not encode the whole utterance's JSON again.
 */
const speechEndCache = new WeakMap<AudioAsset, Map<string, WireFrame>>();
const utf8 = new TextEncoder();

function cachedSpeechEnd(asset: AudioAsset, format: WireFormat, intent: string | undefined): WireFrame {
  let byFormat = speechEndCache.get(asset);
  if (!byFormat) {
    byFormat = new Map();
    speechEndCache.set(asset, byFormat);
  }
  const key = `${wireFormatKey(format)}|${intent ?? ""}`;
  let frame = byFormat.get(key);
  if (!frame) {
    const audio = toBase64(asset.wav(format));
    frame = {
      utf8: utf8.encode(
        encodeClientMessage({ type: "speech_end", audio, ...(intent !== undefined ? { intent } : {}) }),
      ),
    };
    byFormat.set(key, frame);
  }
  return frame;
}

const SPEECH_START = encodeClientMessage({ type: "speech_start" });

/**
 * Decodes one frame of a speech-events bot: JSON text events; `play_audio` payloads are WAV when
 * they carry a RIFF header and raw audio in `replyFormat` otherwise. A message of another protocol
 * is a protocol error with a hint; other unknown events are counted, not errors.
 *
 * @example
 * ```ts
 * import { decodeSpeechEventsFrame } from "./caller.ts";
 * const bytes = new TextEncoder().encode('{"event":"stop_playback"}');
 * console.log(decodeSpeechEventsFrame(bytes, false, { encoding: "pcm16", sampleRateHz: 16000 })); // [{ kind: "stop", message: undefined }]
 * ```
 */
export function decodeSpeechEventsFrame(
  data: Uint8Array,
  isBinary: boolean,
  replyFormat: ReplyAudioFormat,
): SessionEventBody[] {
  const decoded = decodeJsonFrame(data, isBinary, "speech-events", serverEventFrom);
  if (!decoded.ok) return decoded.events;
  const event = decoded.value;
  switch (event.event) {
    case "connected":
      return [{ kind: "connected", sessionId: event.session_id }];
    case "play_audio":
      return [base64AudioEvent(event.audio, replyFormat, "play_audio")];
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
}

/**
 * The caller side of the seed protocol ("speech-events"), a caller with local VAD: speech_start
 * when it starts talking, then speech_end carrying the whole utterance as a base64 WAV once its last
 * microphone frame is captured.
 *
 * @example
 * ```ts
 * import { speechEventsCaller } from "./caller.ts";
 * const caller = speechEventsCaller({ wireFormat: { encoding: "pcm16", sampleRateHz: 16000, frameMs: 20 }, replyFormat: { encoding: "pcm16", sampleRateHz: 16000 }, parameters: {}, connectionKey: "0" });
 * console.log(caller.opening()); // []
 * ```
 */
export function speechEventsCaller(options: CallerOptions): CallerSide {
  return {
    opening: () => [],
    utterancePlan(asset, intent): UtterancePlan {
      const spokenMs = asset.encoded(options.wireFormat).durationMs;
      return {
        frames: [
          { offsetMs: 0, frame: SPEECH_START },
          { offsetMs: spokenMs, frame: cachedSpeechEnd(asset, options.wireFormat, intent) },
        ],
        onsetFrame: 0,
        endFrame: 1,
      };
    },
    audioFrame: () => {
      throw new Error("speech-events sends whole utterances, not audio frames");
    },
    decode: (data, isBinary) => decodeSpeechEventsFrame(data, isBinary, options.replyFormat),
    markPlayed: () => undefined,
    closing: () => [],
  };
}
