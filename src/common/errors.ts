/**
 * Errors a user can fix (bad flags, bad files, bad configuration). The CLI prints the message as
 * one line and exits with code 2; nothing else about them is shown.
 *
 * @example
 * ```ts
 * import { UsageError } from "./errors.ts";
 * const error = new UsageError("--concurrency must be a positive integer (got -1)");
 * console.log(error.exitCode); // 2
 * ```
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly exitCode = 2;
}
