import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";

/** Why a file could not be read, as one printable phrase (e.g. "not a regular file (a FIFO)"). */
export class FileReadError extends Error {
  override readonly name = "FileReadError";
  constructor(
    readonly path: string,
    readonly reason: string,
    /** The system error code, when there was one (ENOENT, EACCES...). */
    readonly code?: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

function kindOf(
  stats: {
    isDirectory(): boolean;
    isFIFO(): boolean;
    isCharacterDevice(): boolean;
    isBlockDevice(): boolean;
    isSocket(): boolean;
  },
): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "an unknown kind of file";
}

function notRegularFileError(path: string, stats: Parameters<typeof kindOf>[0]): FileReadError {
  return new FileReadError(
    path,
    stats.isDirectory() ? "is a directory, not a file" : `not a regular file (${kindOf(stats)})`,
  );
}

function describeCode(code: string | undefined, fallback: unknown): string {
  switch (code) {
    case "ENOENT":
      return "file not found";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ELOOP":
      return "too many symbolic links";
    case "ENOTDIR":
      return "a part of the path is not a directory";
  }
  return `cannot read file (${code ?? (fallback instanceof Error ? fallback.message : String(fallback))})`;
}

/**
 * Reads a whole file that voxbench was told to read (a WAV, a config, a run's summary), refusing
 * anything that is not a regular file: a FIFO would block forever and a device such as /dev/zero
 * never ends. Symbolic links are followed. A file larger than `maxBytes` is refused before it is
 * read.
 *
 * @throws {FileReadError} naming the file and the reason.
 * @example
 * ```ts
 * import { readRegularFile } from "./read-file.ts";
 * const bytes = await readRegularFile("package.json", { maxBytes: 1 << 20 });
 * console.log(bytes.length > 0); // true
 * // await readRegularFile("/dev/zero", { maxBytes: 1 << 20 }); // FileReadError: /dev/zero: not a regular file (a character device)
 * ```
 */
export async function readRegularFile(
  path: string,
  options: { readonly maxBytes: number },
): Promise<Uint8Array> {
  let size: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) throw notRegularFileError(path, stats);
    size = stats.size;
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    const code = (error as { code?: string }).code;
    throw new FileReadError(path, describeCode(code, error), code);
  }
  if (size > options.maxBytes) {
    throw new FileReadError(path, `too large (${size} bytes; at most ${options.maxBytes})`);
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // Non-blocking: should the path have been replaced by a FIFO since stat(), opening it must not
    // wait for a writer. It changes nothing for a regular file. (O_NONBLOCK is undefined on Windows.)
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new FileReadError(path, describeCode(code, error), code);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw notRegularFileError(path, opened);
    // Read at most one byte more than allowed: a file that grew since stat() is still bounded.
    const buffer = new Uint8Array(Math.min(options.maxBytes + 1, Math.max(size, 0) + 65536));
    let length = 0;
    for (;;) {
      if (length === buffer.length) break;
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > options.maxBytes) {
      throw new FileReadError(path, `too large (more than ${options.maxBytes} bytes)`);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    const code = (error as { code?: string }).code;
    throw new FileReadError(path, describeCode(code, error), code);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a regular file as UTF-8 text, without a leading byte-order mark (editors on Windows add
 * one, and JSON.parse rejects it with an invisible character in its message).
 *
 * @throws {FileReadError}
 * @example
 * ```ts
 * import { readTextFile } from "./read-file.ts";
 * const text = await readTextFile("package.json", { maxBytes: 1 << 20 });
 * console.log(text.startsWith("{")); // true
 * ```
 */
export async function readTextFile(path: string, options: { readonly maxBytes: number }): Promise<string> {
  const text = new TextDecoder("utf-8").decode(await readRegularFile(path, options));
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
