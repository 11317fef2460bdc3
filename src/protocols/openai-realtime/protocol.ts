import { UsageError } from "../../common/errors.ts";
import type { ProtocolAdapter } from "../adapter.ts";
import { realtimeBot } from "./bot.ts";
import { realtimeCaller } from "./caller.ts";
import {
  BETA_HEADER,
  defaultSession,
  REALTIME_PCM_RATE_HZ,
  type RealtimeApi,
  sessionShape,
  type TurnDetection,
} from "./codec.ts";

/** How a run speaks the Realtime API (`--realtime-api`, `--realtime-session`). */
export interface RealtimeOptions {
  /** "ga" (default) or "beta" (beta event names and the `OpenAI-Beta: realtime=v1` header). */
  readonly api?: RealtimeApi;
  /** The `session` of the session.update sent on open. Default: audio in and out as PCM16 24 kHz, server VAD, one tool. */
  readonly session?: Readonly<Record<string, unknown>>;
}

/**
 * OpenAI's Realtime API over WebSocket, configured: the caller streams `input_audio_buffer.append`
 * in real time in the session's input format (PCM16 24 kHz, or G.711 mu-law/A-law 8 kHz) and the
 * bot's server VAD ends its turns (or, with `turn_detection: null`, the caller commits them).
 *
 * @throws {UsageError} when the session's formats or turn detection cannot be read.
 * @example
 * ```ts
 * import { openaiRealtime } from "./protocol.ts";
 * const beta = openaiRealtime({ api: "beta", session: { input_audio_format: "g711_ulaw" } });
 * console.log(beta.handshakeHeaders, beta.callerFormat({ encoding: "pcm16", sampleRateHz: 16000 }));
 * // { "OpenAI-Beta": "realtime=v1" } { encoding: "mulaw", sampleRateHz: 8000, frameMs: 20 }
 * ```
 */
export function openaiRealtime(options: RealtimeOptions = {}): ProtocolAdapter {
  const api = options.api ?? "ga";
  if (api !== "ga" && api !== "beta") {
    throw new UsageError(`--realtime-api must be ga or beta (got ${String(api)})`);
  }
  const session = options.session ?? defaultSession(api);
  const shape = sessionShape(session);
  if (typeof shape === "string") throw new UsageError(`--realtime-session: ${shape}`);
  const input = shape.input ?? { encoding: "pcm16", sampleRateHz: REALTIME_PCM_RATE_HZ };
  const output = shape.output ?? { encoding: "pcm16", sampleRateHz: REALTIME_PCM_RATE_HZ };
  const turnDetection: TurnDetection = shape.turnDetection ??
    { mode: "server", silenceMs: undefined, createResponse: true, interruptResponse: true };
  return {
    name: "openai-realtime",
    transport: "stream",
    callerFormat: (requested) => ({ ...input, frameMs: requested.frameMs ?? 20 }),
    // The caller reads what its session asked for; the reference bot prepares PCM 24 kHz and converts per session.
    replyFormat: () => output,
    caller: (callerOptions) => realtimeCaller({ api, session, turnDetection }, callerOptions),
    bot: realtimeBot,
    ...(api === "beta" ? { handshakeHeaders: { [BETA_HEADER.name]: BETA_HEADER.value } } : {}),
    settings: { api, session },
  };
}

/** The Realtime API with the default session, GA names. */
export const openaiRealtimeDefault: ProtocolAdapter = openaiRealtime();
