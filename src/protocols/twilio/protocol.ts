import type { ProtocolAdapter } from "../adapter.ts";
import { twilioBot } from "./bot.ts";
import { twilioCaller } from "./caller.ts";

/** Twilio streams 20 ms frames. */
const TWILIO_FRAME_MS = 20;

/**
 * Twilio Media Streams, the protocol most phone-facing bots speak (Pipecat's Twilio serializer,
 * Vocode, the OpenAI Agents SDK's Twilio transport, Fonoster...): the caller streams 20 ms mu-law
 * 8 kHz frames in real time for the whole call, silence included, and the bot's own VAD decides
 * when the caller stopped talking.
 *
 * @example
 * ```ts
 * import { twilio } from "./protocol.ts";
 * console.log(twilio.callerFormat({ encoding: "pcm16", sampleRateHz: 16000 })); // { encoding: "mulaw", sampleRateHz: 8000, frameMs: 20 }
 * ```
 */
export const twilio: ProtocolAdapter = {
  name: "twilio",
  transport: "stream",
  callerFormat: (requested) => ({
    encoding: "mulaw",
    sampleRateHz: 8000,
    frameMs: requested.frameMs ?? TWILIO_FRAME_MS,
  }),
  replyFormat: () => ({ encoding: "mulaw", sampleRateHz: 8000 }),
  caller: twilioCaller,
  bot: twilioBot,
};
