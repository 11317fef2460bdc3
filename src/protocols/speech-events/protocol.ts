import type { ProtocolAdapter } from "../adapter.ts";
import { speechEventsBot } from "./bot.ts";
import { speechEventsCaller } from "./caller.ts";

/**
 * "speech-events", the seed bot's protocol and voxbench's default: JSON text frames; the caller
 * has local VAD and sends speech_start, then the whole utterance as a base64 WAV in speech_end;
 * the bot answers with base64 `play_audio` chunks, stop_playback on barge-in, playback_resume
 * after a false alarm, and optionally response_done, metrics and tool events.
 *
 * @example
 * ```ts
 * import { speechEvents } from "./protocol.ts";
 * console.log(speechEvents.name, speechEvents.transport); // "speech-events" "utterance"
 * ```
 */
export const speechEvents: ProtocolAdapter = {
  name: "speech-events",
  transport: "utterance",
  callerFormat: (requested) => requested,
  replyFormat: (requested) => requested,
  caller: speechEventsCaller,
  bot: speechEventsBot,
};
