import type { BotInput, BotOptions, BotSide, ReplyChunk, WireFrame } from "../adapter.ts";
import { frameText } from "../json.ts";
import { decodeClientMessage, encodeServerEvent, type ServerEvent } from "./codec.ts";
import { decodeSpeechAudio } from "./speech-audio.ts";

const utf8 = new TextEncoder();

/** play_audio frames, serialised once per chunk and shared by every connection (a send is then one write of shared bytes). */
const chunkFrames = new WeakMap<ReplyChunk, WireFrame>();

function event(message: ServerEvent): WireFrame[] {
  return [encodeServerEvent(message)];
}

/**
 * The reference bot's side of the seed protocol: speech_start and speech_end (a whole utterance as
 * a base64 WAV, or raw PCM16 at `inputSampleRateHz`) in; connected, play_audio, stop_playback,
 * playback_resume, playback_reset, response_done, metrics, tool and error events out.
 *
 * @example
 * ```ts
 * import { speechEventsBot } from "./bot.ts";
 * const bot = speechEventsBot({ inputSampleRateHz: 16000 });
 * console.log(bot.stop()); // ['{"event":"stop_playback","message":"User started speaking"}']
 * ```
 */
export function speechEventsBot(options: BotOptions): BotSide {
  return {
    greeting: (sessionId) => event({ event: "connected", session_id: sessionId }),
    decode(data, isBinary): BotInput[] {
      if (isBinary) {
        return [{ kind: "invalid", reason: "binary frames are not supported: send JSON text frames" }];
      }
      const decoded = decodeClientMessage(frameText(data));
      if (!decoded.ok) return [{ kind: "invalid", reason: decoded.reason }];
      const message = decoded.value;
      if (message.type === "speech_start") return [{ kind: "speech_start" }];
      if (message.type !== "speech_end") return [{ kind: "ignored" }];
      const audio = decodeSpeechAudio(message.audio, options.inputSampleRateHz);
      return audio.ok
        ? [{ kind: "utterance", clip: audio.clip, intent: message.intent }]
        : [{ kind: "invalid", reason: audio.reason }];
    },
    replyChunk(chunk) {
      let frame = chunkFrames.get(chunk);
      if (!frame) {
        frame = { utf8: utf8.encode(encodeServerEvent({ event: "play_audio", audio: chunk.base64 })) };
        chunkFrames.set(chunk, frame);
      }
      return [frame];
    },
    stop: () => event({ event: "stop_playback", message: "User started speaking" }),
    resume: () => event({ event: "playback_resume" }),
    reset: () => event({ event: "playback_reset" }),
    done: () => event({ event: "response_done" }),
    metrics: (timings) => event({ event: "metrics", ...timings }),
    toolCall: (name, callId) => event({ event: "tool_call", name, call_id: callId }),
    toolResult: (name, callId, durationMs) =>
      event({ event: "tool_result", name, call_id: callId, duration_ms: durationMs }),
    error: (message) => event({ event: "error", message }),
  };
}
