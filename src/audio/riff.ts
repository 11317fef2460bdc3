/**
 * A strict walk over the chunks of a RIFF/WAVE file. wavefile parses leniently (a truncated data
 * chunk simply yields fewer samples); this walk finds what would make a decode silently wrong
 * before anything is decoded.
 *
 * @example
 * ```ts
 * import { walkRiffChunks } from "./riff.ts";
 * const header = new Uint8Array([82, 73, 70, 70, 4, 0, 0, 0, 87, 65, 86, 69]); // "RIFF" 4 "WAVE"
 * console.log(walkRiffChunks(header).chunks.length); // 0
 * ```
 */
export interface RiffChunk {
  readonly id: string;
  /** Offset of the chunk's payload (after its 8-byte header). */
  readonly offset: number;
  /** Declared payload size. */
  readonly size: number;
  /** Payload bytes actually present (less than `size` when the file is cut short). */
  readonly presentSize: number;
}

export interface RiffLayout {
  readonly chunks: readonly RiffChunk[];
}

/** Thrown with a reason that the caller prefixes with the file name. */
export class RiffError extends Error {
  override readonly name = "RiffError";
}

function fourCc(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

/** Lists the chunks of a RIFF/WAVE byte array, or throws {@link RiffError} saying why it is not one. */
export function walkRiffChunks(bytes: Uint8Array): RiffLayout {
  if (bytes.length === 0) throw new RiffError("empty file");
  if (bytes.length < 12) throw new RiffError(`not a WAV file (only ${bytes.length} bytes)`);
  const magic = fourCc(bytes, 0);
  if (magic === "RIFX") throw new RiffError("big-endian RIFX WAV is not supported");
  if (magic === "RF64") throw new RiffError("RF64 (64-bit WAV) is not supported");
  if (magic !== "RIFF" || fourCc(bytes, 8) !== "WAVE") {
    throw new RiffError("not a WAV file (no RIFF/WAVE header)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: RiffChunk[] = [];
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = fourCc(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const payloadOffset = offset + 8;
    const presentSize = Math.min(size, bytes.length - payloadOffset);
    chunks.push({ id, offset: payloadOffset, size, presentSize });
    // Chunks are word-aligned: an odd-sized payload is followed by one pad byte.
    offset = payloadOffset + size + (size % 2);
  }
  return { chunks };
}
