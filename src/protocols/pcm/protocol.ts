import type { ProtocolAdapter } from "../adapter.ts";
import { pcmBot } from "./bot.ts";
import { pcmCaller } from "./caller.ts";

/**
 * Raw PCM: binary PCM16 little-endian frames in both directions (20 ms from the caller, at
 * --sample-rate), a little JSON for control from the bot (`clear`, `response_done`); the bot's own
 * VAD ends the caller's utterances, as on any stream.
 *
 * @example
 * ```ts
 * import { pcm } from "./protocol.ts";
 * console.log(pcm.callerFormat({ encoding: "mulaw", sampleRateHz: 8000, frameMs: 20 })); // { encoding: "pcm16", sampleRateHz: 8000, frameMs: 20 }
 * ```
 */
export const pcm: ProtocolAdapter = {
  name: "pcm",
  transport: "stream",
  callerFormat: (requested) => ({
    encoding: "pcm16",
    sampleRateHz: requested.sampleRateHz,
    frameMs: requested.frameMs ?? 20,
  }),
  replyFormat: (requested) => ({ encoding: "pcm16", sampleRateHz: requested.sampleRateHz }),
  caller: pcmCaller,
  bot: pcmBot,
};
