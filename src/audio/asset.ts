import { clipDurationMs, type PcmClip } from "./pcm.ts";
import { detectSpeech, type SpeechSegment } from "./vad.ts";
import type { WavInfo } from "./wav-decode.ts";
import { wrapWav } from "./wav-encode.ts";
import { type EncodedAudio, encodeForWire, type WireFormat, wireFormatKey } from "./wire-format.ts";

/** What a clip is for: the scenarios pick their utterances by role. */
export type AudioRole = "query" | "tool" | "interrupt" | "noise" | "bot";

/** All roles, in the order reports list them. */
export const AUDIO_ROLES: readonly AudioRole[] = ["query", "tool", "interrupt", "noise", "bot"];

/**
 * One decoded clip shared by every caller. It is decoded once; each wire format it is sent in is
 * converted once on first use and cached, so 500 callers speaking the same file share one buffer.
 *
 * @example
 * ```ts
 * import { AudioAsset } from "./asset.ts";
 * import { silence } from "./silence.ts";
 * const asset = new AudioAsset({ name: "silence", role: "query", clip: silence(1000) });
 * const format = { encoding: "pcm16" as const, sampleRateHz: 8000 };
 * console.log(asset.encoded(format) === asset.encoded(format)); // true: converted once
 * ```
 */
export class AudioAsset {
  readonly name: string;
  readonly role: AudioRole;
  readonly clip: PcmClip;
  readonly path: string | undefined;
  readonly transcript: string | undefined;
  readonly info: WavInfo | undefined;
  private readonly encodedByFormat = new Map<string, EncodedAudio>();
  private readonly wavByFormat = new Map<string, Uint8Array>();
  private segments: SpeechSegment[] | undefined;

  constructor(init: {
    name: string;
    role: AudioRole;
    clip: PcmClip;
    path?: string;
    transcript?: string;
    info?: WavInfo;
  }) {
    this.name = init.name;
    this.role = init.role;
    this.clip = init.clip;
    this.path = init.path;
    this.transcript = init.transcript;
    this.info = init.info;
  }

  /** Duration from the audio itself (never from the file name). */
  get durationMs(): number {
    return clipDurationMs(this.clip);
  }

  /** Speech found by the energy VAD (computed once). */
  get speechSegments(): readonly SpeechSegment[] {
    this.segments ??= detectSpeech(this.clip);
    return this.segments;
  }

  /** The clip resampled and encoded for the wire; converted once per format. */
  encoded(format: WireFormat): EncodedAudio {
    const key = wireFormatKey(format);
    let encoded = this.encodedByFormat.get(key);
    if (!encoded) {
      encoded = encodeForWire(this.clip, format);
      this.encodedByFormat.set(key, encoded);
    }
    return encoded;
  }

  /** The clip as a WAV file in a wire format (what `speech_end` carries); built once per format. */
  wav(format: WireFormat): Uint8Array {
    const key = wireFormatKey(format);
    let wav = this.wavByFormat.get(key);
    if (!wav) {
      wav = wrapWav(this.encoded(format).bytes, format.encoding, format.sampleRateHz);
      this.wavByFormat.set(key, wav);
    }
    return wav;
  }
}
