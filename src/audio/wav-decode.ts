import wavefile from "wavefile";
import { AudioError } from "./audio-error.ts";
import { decodeALaw, decodeMuLaw } from "./g711.ts";
import { int16FromLittleEndian } from "./int16-le.ts";
import { createClip, floatToInt16, type PcmClip } from "./pcm.ts";
import { type RiffChunk, RiffError, walkRiffChunks } from "./riff.ts";

const { WaveFile } = wavefile;

/** How the samples of a WAV file are stored. */
export type WavEncoding = "pcm" | "float" | "mulaw" | "alaw";

/** What a WAV file contains, as `voxbench audio` reports it. */
export interface WavInfo {
  readonly container: "RIFF/WAVE";
  readonly encoding: WavEncoding;
  /** The effective format tag (the sub-format's for WAVE_FORMAT_EXTENSIBLE). */
  readonly formatTag: number;
  readonly extensible: boolean;
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly bitDepth: number;
  readonly frameCount: number;
  readonly durationMs: number;
  /** Chunk ids in file order, e.g. ["JUNK", "fmt ", "FLLR", "data"]. */
  readonly chunkIds: readonly string[];
}

/** A decoded WAV file: its description and its audio as a mono Int16 clip at the file's rate. */
export interface DecodedWav {
  readonly info: WavInfo;
  readonly clip: PcmClip;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_ALAW = 0x0006;
const WAVE_FORMAT_MULAW = 0x0007;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Formats seen in the wild that cannot be decoded here; named so the error says what the file is. */
const UNSUPPORTED_FORMAT_NAMES: Readonly<Record<number, string>> = {
  0x0002: "Microsoft ADPCM",
  0x0011: "IMA ADPCM",
  0x0022: "DSP Group TrueSpeech",
  0x0031: "GSM 6.10",
  0x0040: "G.721 ADPCM",
  0x0050: "MPEG audio",
  0x0055: "MP3",
  0x0064: "G.726 ADPCM",
  0x0092: "Dolby AC-3 SPDIF",
  0x0160: "Windows Media Audio",
  0x0161: "Windows Media Audio",
  0x0162: "Windows Media Audio Pro",
  0x1610: "AAC",
  0x2000: "Dolby AC-3",
  0x674f: "Ogg Vorbis",
  0xf1ac: "FLAC",
};

const CONVERT_HINT = "convert it to PCM first, e.g. `sox in.wav -e signed-integer -b 16 out.wav`";

function hex(tag: number): string {
  return `0x${tag.toString(16).padStart(4, "0")}`;
}

function findChunk(chunks: readonly RiffChunk[], id: string): RiffChunk | undefined {
  return chunks.find((chunk) => chunk.id === id);
}

/**
 * Decodes a WAV file to a mono Int16 clip at its own sample rate: 8/16/24/32-bit integer PCM,
 * 32/64-bit float, mu-law and A-law, any channel count (averaged to mono), plain or
 * WAVE_FORMAT_EXTENSIBLE, with any extra chunks (JUNK, FLLR, LIST...). wavefile parses the
 * container; the strict RIFF walk before it rejects truncated files, and this function rejects
 * every encoding it cannot decode exactly (ADPCM, GSM, MP3...). Nothing is ever mis-decoded silently.
 *
 * @throws {AudioError} naming `file` and the reason.
 * @example
 * ```ts
 * import { decodeWav } from "./wav-decode.ts";
 * import { encodeWavPcm16 } from "./wav-encode.ts";
 * import { createClip } from "./pcm.ts";
 * const bytes = encodeWavPcm16(createClip(new Int16Array(8000), 8000));
 * const { info } = decodeWav(bytes, "one-second.wav");
 * console.log(info.durationMs); // 1000
 * ```
 */
export function decodeWav(bytes: Uint8Array, file = "<buffer>"): DecodedWav {
  let chunks: readonly RiffChunk[];
  try {
    chunks = walkRiffChunks(bytes).chunks;
  } catch (error) {
    if (error instanceof RiffError) throw new AudioError(file, error.message);
    throw error;
  }
  const fmtChunk = findChunk(chunks, "fmt ");
  if (!fmtChunk) throw new AudioError(file, "not a usable WAV file (no fmt chunk)");
  if (fmtChunk.presentSize < 16 || fmtChunk.size < 16) {
    throw new AudioError(file, "truncated WAV file (fmt chunk is incomplete)");
  }
  const dataChunk = findChunk(chunks, "data");
  if (!dataChunk) throw new AudioError(file, "truncated or incomplete WAV file (no data chunk)");
  if (dataChunk.size === 0xffffffff) {
    throw new AudioError(file, "WAV data size is unknown (written as a stream); re-save the file");
  }
  if (dataChunk.presentSize < dataChunk.size) {
    throw new AudioError(
      file,
      `truncated WAV file (data chunk declares ${dataChunk.size} bytes, only ${dataChunk.presentSize} present)`,
    );
  }

  let parsed: InstanceType<typeof WaveFile>;
  try {
    // samples=false: the data bytes are taken from the strict walk below, not copied.
    parsed = new WaveFile();
    parsed.fromBuffer(bytes, false);
  } catch (error) {
    throw new AudioError(
      file,
      `unreadable WAV file (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const fmt = parsed.fmt as {
    audioFormat: number;
    numChannels: number;
    sampleRate: number;
    blockAlign: number;
    bitsPerSample: number;
    subformat: number[];
  };
  const extensible = fmt.audioFormat === WAVE_FORMAT_EXTENSIBLE;
  let formatTag = fmt.audioFormat;
  if (extensible) {
    const guidFirstWord = fmt.subformat[0];
    if (guidFirstWord === undefined) {
      throw new AudioError(file, "WAVE_FORMAT_EXTENSIBLE header has no sub-format");
    }
    formatTag = guidFirstWord & 0xffff;
  }
  const encoding = encodingOf(formatTag, file);
  const channels = fmt.numChannels;
  const sampleRateHz = fmt.sampleRate;
  const bitDepth = fmt.bitsPerSample;
  if (channels < 1) throw new AudioError(file, "invalid WAV header (0 channels)");
  if (sampleRateHz < 1) throw new AudioError(file, "invalid WAV header (sample rate 0)");
  checkBitDepth(encoding, bitDepth, file);
  const bytesPerSample = bitDepth / 8;
  const frameBytes = bytesPerSample * channels;
  if (fmt.blockAlign !== frameBytes) {
    throw new AudioError(file, `invalid WAV header (block align ${fmt.blockAlign}, expected ${frameBytes})`);
  }
  // The data bytes come from the strict walk: wavefile's reader counts the RIFF pad byte of an
  // odd-sized chunk as audio.
  const dataBytes = bytes.subarray(dataChunk.offset, dataChunk.offset + dataChunk.size);
  if (dataBytes.length === 0) throw new AudioError(file, "contains no audio (empty data chunk)");
  if (dataBytes.length % frameBytes !== 0) {
    throw new AudioError(
      file,
      `truncated WAV file (data is not a whole number of ${frameBytes}-byte sample frames)`,
    );
  }
  const frameCount = dataBytes.length / frameBytes;
  const samples = decodeToMono(dataBytes, encoding, bitDepth, channels, frameCount);
  return {
    info: {
      container: "RIFF/WAVE",
      encoding,
      formatTag,
      extensible,
      channels,
      sampleRateHz,
      bitDepth,
      frameCount,
      durationMs: (frameCount * 1000) / sampleRateHz,
      chunkIds: chunks.map((chunk) => chunk.id),
    },
    clip: createClip(samples, sampleRateHz),
  };
}

function encodingOf(formatTag: number, file: string): WavEncoding {
  switch (formatTag) {
    case WAVE_FORMAT_PCM:
      return "pcm";
    case WAVE_FORMAT_IEEE_FLOAT:
      return "float";
    case WAVE_FORMAT_MULAW:
      return "mulaw";
    case WAVE_FORMAT_ALAW:
      return "alaw";
  }
  const name = UNSUPPORTED_FORMAT_NAMES[formatTag];
  const what = name ? `${name} (format ${hex(formatTag)})` : `format ${hex(formatTag)}`;
  throw new AudioError(file, `unsupported WAV encoding: ${what}; ${CONVERT_HINT}`);
}

function checkBitDepth(encoding: WavEncoding, bitDepth: number, file: string): void {
  const allowed: Record<WavEncoding, readonly number[]> = {
    pcm: [8, 16, 24, 32],
    float: [32, 64],
    mulaw: [8],
    alaw: [8],
  };
  if (!allowed[encoding].includes(bitDepth)) {
    throw new AudioError(file, `unsupported bit depth ${bitDepth} for ${encoding} WAV; ${CONVERT_HINT}`);
  }
}

/** Decodes interleaved frames to mono Int16, averaging channels. 16-bit mono is copied exactly. */
function decodeToMono(
  dataBytes: Uint8Array,
  encoding: WavEncoding,
  bitDepth: number,
  channels: number,
  frameCount: number,
): Int16Array {
  if (encoding === "mulaw" || encoding === "alaw") {
    const decoded = encoding === "mulaw" ? decodeMuLaw(dataBytes) : decodeALaw(dataBytes);
    return channels === 1 ? decoded : averageInt16Channels(decoded, channels, frameCount);
  }
  if (encoding === "pcm" && bitDepth === 16) {
    const interleaved = int16FromLittleEndian(dataBytes);
    return channels === 1 ? interleaved : averageInt16Channels(interleaved, channels, frameCount);
  }
  const view = new DataView(dataBytes.buffer, dataBytes.byteOffset, dataBytes.byteLength);
  const out = new Int16Array(frameCount);
  const readFloat = floatReader(view, encoding, bitDepth);
  const bytesPerSample = bitDepth / 8;
  let offset = 0;
  for (let frame = 0; frame < frameCount; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++) {
      sum += readFloat(offset);
      offset += bytesPerSample;
    }
    out[frame] = floatToInt16(sum / channels);
  }
  return out;
}

function averageInt16Channels(interleaved: Int16Array, channels: number, frameCount: number): Int16Array {
  const out = new Int16Array(frameCount);
  for (let frame = 0, offset = 0; frame < frameCount; frame++) {
    let sum = 0;
    for (let channel = 0; channel < channels; channel++) sum += interleaved[offset++]!;
    out[frame] = Math.round(sum / channels);
  }
  return out;
}

/** Returns a reader giving the sample at a byte offset as a float in [-1, 1). */
function floatReader(view: DataView, encoding: WavEncoding, bitDepth: number): (offset: number) => number {
  if (encoding === "float") {
    return bitDepth === 32
      ? (offset) => view.getFloat32(offset, true)
      : (offset) => view.getFloat64(offset, true);
  }
  switch (bitDepth) {
    case 8: // 8-bit WAV is unsigned with 128 as zero.
      return (offset) => (view.getUint8(offset) - 128) / 128;
    case 24:
      return (offset) => {
        const value = view.getUint8(offset) | (view.getUint8(offset + 1) << 8) |
          (view.getInt8(offset + 2) << 16);
        return value / 8388608;
      };
    case 32:
      return (offset) => view.getInt32(offset, true) / 2147483648;
    default:
      return (offset) => view.getInt16(offset, true) / 32768;
  }
}
