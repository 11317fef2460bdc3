import { FileReadError, readRegularFile } from "../common/read-file.ts";
import { AudioError } from "./audio-error.ts";
import { type DecodedWav, decodeWav } from "./wav-decode.ts";

/**
 * The largest WAV file voxbench reads: 64 MiB holds 35 minutes of 16 kHz 16-bit mono speech, or
 * three minutes of 48 kHz 32-bit float stereo, far more than any spoken turn. The cap keeps a huge
 * or endless input from exhausting memory.
 */
export const MAX_WAV_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Reads and decodes one WAV file; every failure (missing, not a regular file, too large,
 * undecodable) is an {@link AudioError} naming the file. FIFOs, devices such as /dev/zero, sockets
 * and directories are refused at once, without reading from them, so a bad path never hangs.
 *
 * @example
 * ```ts
 * import { loadWavFile } from "./load-file.ts";
 * const { info } = await loadWavFile("fixtures/query_01_balance.wav");
 * console.log(info.sampleRateHz); // 16000
 * // await loadWavFile("/dev/zero"); // AudioError: /dev/zero: not a regular file (a character device)
 * ```
 */
export async function loadWavFile(path: string): Promise<DecodedWav> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, { maxBytes: MAX_WAV_FILE_BYTES });
  } catch (error) {
    if (error instanceof FileReadError) throw new AudioError(path, error.reason);
    throw error;
  }
  return decodeWav(bytes, path);
}
