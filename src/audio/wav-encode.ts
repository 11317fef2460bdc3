import { encodeMuLaw } from "./g711.ts";
import type { PcmClip } from "./pcm.ts";

/**
 * Writes WAV files: mono 16-bit PCM (what the seed protocol's `speech_end` carries) and mono
 * 8-bit mu-law. The header is written here rather than by wavefile, whose mu-law writer counts
 * the RIFF pad byte of an odd-length data chunk as a sample.
 */

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_ALAW = 0x0006;

function writeAscii(view: DataView, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) view.setUint8(offset + i, text.charCodeAt(i));
}

/** Builds a canonical RIFF/WAVE file (fmt + data; plus fact for non-PCM, as the spec asks). */
function buildWav(
  formatTag: number,
  sampleRateHz: number,
  bitDepth: number,
  payload: Uint8Array,
): Uint8Array {
  const pcm = formatTag === WAVE_FORMAT_PCM;
  const fmtSize = pcm ? 16 : 18;
  const factBytes = pcm ? 0 : 12;
  const padByte = payload.length % 2;
  const headerBytes = 12 + 8 + fmtSize + factBytes + 8;
  const bytes = new Uint8Array(headerBytes + payload.length + padByte);
  const view = new DataView(bytes.buffer);
  const blockAlign = bitDepth / 8;
  writeAscii(view, 0, "RIFF");
  view.setUint32(4, bytes.length - 8, true);
  writeAscii(view, 8, "WAVE");
  writeAscii(view, 12, "fmt ");
  view.setUint32(16, fmtSize, true);
  view.setUint16(20, formatTag, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bitDepth, true);
  let offset = 36;
  if (!pcm) {
    view.setUint16(offset, 0, true); // cbSize
    offset += 2;
    writeAscii(view, offset, "fact");
    view.setUint32(offset + 4, 4, true);
    view.setUint32(offset + 8, payload.length / blockAlign, true);
    offset += 12;
  }
  writeAscii(view, offset, "data");
  view.setUint32(offset + 4, payload.length, true);
  bytes.set(payload, offset + 8);
  return bytes;
}

/**
 * Encodes a clip as a mono 16-bit PCM WAV file.
 *
 * @example
 * ```ts
 * import { encodeWavPcm16 } from "./wav-encode.ts";
 * import { createClip } from "./pcm.ts";
 * const bytes = encodeWavPcm16(createClip(new Int16Array(160), 8000));
 * console.log(bytes.length); // 44-byte header + 320 bytes of samples = 364
 * ```
 */
export function encodeWavPcm16(clip: PcmClip): Uint8Array {
  return buildWav(WAVE_FORMAT_PCM, clip.sampleRateHz, 16, pcm16Bytes(clip.samples));
}

/**
 * Encodes a clip as a mono 8-bit mu-law WAV file (G.711, as telephony systems store it).
 *
 * @example
 * ```ts
 * import { encodeWavMuLaw } from "./wav-encode.ts";
 * import { createClip } from "./pcm.ts";
 * const bytes = encodeWavMuLaw(createClip(new Int16Array(80), 8000));
 * console.log(new TextDecoder().decode(bytes.subarray(0, 4))); // "RIFF"
 * ```
 */
export function encodeWavMuLaw(clip: PcmClip): Uint8Array {
  return buildWav(WAVE_FORMAT_MULAW, clip.sampleRateHz, 8, encodeMuLaw(clip.samples));
}

/**
 * Wraps already-encoded wire bytes (PCM16 LE or mu-law) in a WAV header.
 *
 * @example
 * ```ts
 * import { wrapWav } from "./wav-encode.ts";
 * const wav = wrapWav(new Uint8Array(320), "pcm16", 16000);
 * console.log(wav.length); // 364
 * ```
 */
export function wrapWav(
  payload: Uint8Array,
  encoding: "pcm16" | "mulaw" | "alaw",
  sampleRateHz: number,
): Uint8Array {
  if (encoding === "pcm16") return buildWav(WAVE_FORMAT_PCM, sampleRateHz, 16, payload);
  return buildWav(encoding === "mulaw" ? WAVE_FORMAT_MULAW : WAVE_FORMAT_ALAW, sampleRateHz, 8, payload);
}

/** Int16 samples as little-endian bytes (a copy on big-endian hosts, a view elsewhere is not safe to share). */
export function pcm16Bytes(samples: Int16Array): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, true);
  return bytes;
}
