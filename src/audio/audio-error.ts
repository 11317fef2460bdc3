/**
 * The one error audio loading throws: it names the file and the reason in one printable line,
 * so the CLI can report it without a stack trace.
 *
 * @example
 * ```ts
 * import { AudioError } from "./audio-error.ts";
 * const error = new AudioError("a.wav", "not a WAV file");
 * console.log(error.message); // "a.wav: not a WAV file"
 * ```
 */
export class AudioError extends Error {
  override readonly name = "AudioError";
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}
