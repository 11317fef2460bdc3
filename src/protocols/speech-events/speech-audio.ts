import { AudioError } from "../../audio/audio-error.ts";
import { createClip, type PcmClip } from "../../audio/pcm.ts";
import { decodeWav } from "../../audio/wav-decode.ts";
import { decodeWireAudio } from "../../audio/wire-format.ts";
import { fromBase64 } from "../base64.ts";

/**
 * Decodes the audio of a `speech_end`: base64 of a WAV file (any format voxbench decodes), or of
 * raw PCM16 LE at `rawSampleRateHz`. Returns the clip or a one-line reason.
 *
 * @example
 * ```ts
 * import { decodeSpeechAudio } from "./speech-audio.ts";
 * console.log(decodeSpeechAudio("AAAAAA==", 16000)); // { ok: true, clip: { samples: Int16Array [0, 0], sampleRateHz: 16000 } }
 * ```
 */
export function decodeSpeechAudio(
  base64: string,
  rawSampleRateHz: number,
): { ok: true; clip: PcmClip } | { ok: false; reason: string } {
  const bytes = fromBase64(base64);
  if (!bytes) return { ok: false, reason: "speech_end audio is not valid base64" };
  if (bytes.length === 0) return { ok: false, reason: "speech_end audio is empty" };
  const isWav = bytes.length >= 12 && String.fromCharCode(...bytes.subarray(0, 4)) === "RIFF" &&
    String.fromCharCode(...bytes.subarray(8, 12)) === "WAVE";
  if (isWav) {
    try {
      return { ok: true, clip: decodeWav(bytes, "speech_end audio").clip };
    } catch (error) {
      if (error instanceof AudioError) return { ok: false, reason: error.message };
      throw error;
    }
  }
  if (bytes.length % 2 !== 0) {
    return { ok: false, reason: "speech_end audio is neither a WAV file nor PCM16 (odd length)" };
  }
  return {
    ok: true,
    clip: createClip(
      decodeWireAudio(bytes, { encoding: "pcm16", sampleRateHz: rawSampleRateHz }),
      rawSampleRateHz,
    ),
  };
}
