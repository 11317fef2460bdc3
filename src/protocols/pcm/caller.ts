import type { CallerOptions, CallerSide, SessionEventBody } from "../adapter.ts";
import { otherProtocolHint } from "../hints.ts";
import { frameText } from "../json.ts";
import { replyAudioEvent } from "../reply-audio.ts";
import { parseControl } from "./codec.ts";

/**
 * The caller side of raw PCM: each microphone frame goes out as a binary frame as it is; the bot's
 * binary frames are reply audio (PCM16 at the reply rate), its `clear` the bot stopping, its
 * `response_done` the end of a reply. Other text is counted as unknown; another protocol's message is
 * a protocol error with a hint.
 *
 * @example
 * ```ts
 * import { pcmCaller } from "./caller.ts";
 * const caller = pcmCaller({ wireFormat: { encoding: "pcm16", sampleRateHz: 16000, frameMs: 20 }, replyFormat: { encoding: "pcm16", sampleRateHz: 16000 }, parameters: {}, connectionKey: "0" });
 * console.log(caller.decode(new TextEncoder().encode('{"type":"clear"}'), false)); // [{ kind: "stop", message: "clear" }]
 * ```
 */
export function pcmCaller(options: CallerOptions): CallerSide {
  return {
    opening: () => [],
    utterancePlan: () => {
      throw new Error("raw PCM streams audio frames, not whole utterances");
    },
    audioFrame: (audio) => audio,
    decode(data, isBinary): SessionEventBody[] {
      if (isBinary) return [replyAudioEvent(data, options.replyFormat)];
      const control = parseControl(frameText(data));
      if (control.kind === "clear") return [{ kind: "stop", message: "clear" }];
      if (control.kind === "response_done") return [{ kind: "done" }];
      if (control.kind === "not_json") return [{ kind: "unknown", name: "text" }];
      const hint = otherProtocolHint(control.message, "pcm");
      if (hint) return [{ kind: "protocol_error", message: hint }];
      return [{
        kind: "unknown",
        name: typeof control.message.type === "string" ? control.message.type : "text",
      }];
    },
    markPlayed: () => undefined,
    closing: () => [],
  };
}
