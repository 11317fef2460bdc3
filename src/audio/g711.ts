/**
 * G.711 companding (ITU-T G.711, the Sun reference algorithm): mu-law is what Twilio and most
 * telephony bots speak; A-law appears in European telephony WAVs.
 *
 * @example
 * ```ts
 * import { decodeMuLawSample, encodeMuLawSample } from "./g711.ts";
 * console.log(decodeMuLawSample(encodeMuLawSample(1000))); // 988 (quantised)
 * ```
 */
import { allocInt16 } from "./int16-le.ts";

const MU_LAW_BIAS = 0x84;
const MU_LAW_CLIP = 32635;

/** Encodes one Int16 sample to a mu-law byte. */
export function encodeMuLawSample(sample: number): number {
  let magnitude = sample;
  const sign = magnitude < 0 ? 0x80 : 0;
  if (sign) magnitude = -magnitude;
  if (magnitude > MU_LAW_CLIP) magnitude = MU_LAW_CLIP;
  magnitude += MU_LAW_BIAS;
  // Segment = position of the highest set bit above bit 7.
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Decodes one mu-law byte to an Int16 sample. */
export function decodeMuLawSample(byte: number): number {
  const inverted = ~byte & 0xff;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const magnitude = (((mantissa << 3) + MU_LAW_BIAS) << exponent) - MU_LAW_BIAS;
  return inverted & 0x80 ? 0 - magnitude : magnitude; // 0 - 0 is +0, not -0
}

const A_LAW_SEGMENT_ENDS = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

/** Encodes one Int16 sample to an A-law byte. */
export function encodeALawSample(sample: number): number {
  let value = sample >> 3;
  let mask: number;
  if (value >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    value = -value - 1;
  }
  let segment = 0;
  while (segment < 8 && value > A_LAW_SEGMENT_ENDS[segment]!) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  const quantised = segment < 2 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;
  return ((segment << 4) | quantised) ^ mask;
}

/** Decodes one A-law byte to an Int16 sample. */
export function decodeALawSample(byte: number): number {
  const value = byte ^ 0x55;
  let magnitude = (value & 0x0f) << 4;
  const segment = (value & 0x70) >> 4;
  if (segment === 0) magnitude += 8;
  else if (segment === 1) magnitude += 0x108;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  return value & 0x80 ? magnitude : -magnitude;
}

const muLawDecodeTable = Int16Array.from({ length: 256 }, (_, byte) => decodeMuLawSample(byte));
const aLawDecodeTable = Int16Array.from({ length: 256 }, (_, byte) => decodeALawSample(byte));

/** Decodes a mu-law byte stream to Int16 samples. */
export function decodeMuLaw(bytes: Uint8Array): Int16Array {
  const samples = allocInt16(bytes.length);
  for (let i = 0; i < bytes.length; i++) samples[i] = muLawDecodeTable[bytes[i]!]!;
  return samples;
}

/** Decodes an A-law byte stream to Int16 samples. */
export function decodeALaw(bytes: Uint8Array): Int16Array {
  const samples = allocInt16(bytes.length);
  for (let i = 0; i < bytes.length; i++) samples[i] = aLawDecodeTable[bytes[i]!]!;
  return samples;
}

/** Encodes Int16 samples to a mu-law byte stream. */
export function encodeMuLaw(samples: Int16Array): Uint8Array {
  const bytes = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) bytes[i] = encodeMuLawSample(samples[i]!);
  return bytes;
}

/** Encodes Int16 samples to an A-law byte stream. */
export function encodeALaw(samples: Int16Array): Uint8Array {
  const bytes = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) bytes[i] = encodeALawSample(samples[i]!);
  return bytes;
}
