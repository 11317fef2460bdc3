import { readFile } from "node:fs/promises";
import { AudioError } from "./audio-error.ts";
import { decodeWav, type DecodedWav } from "./wav-decode.ts";

/**
 * Reads and decodes one WAV file; every failure (missing, unreadable, undecodable) is an
 * {@link AudioError} naming the file.
 *
 * @example
 * ```ts
 * import { loadWavFile } from "./load-file.ts";
 * const { info } = await loadWavFile("fixtures/query_01_balance.wav");
 * console.log(info.sampleRateHz); // 16000
 * ```
 */
export async function loadWavFile(path: string): Promise<DecodedWav> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory, not a WAV file" : `cannot read file (${code ?? String(error)})`;
    throw new AudioError(path, reason);
  }
  return decodeWav(bytes, path);
}
