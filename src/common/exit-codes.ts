/**
 * The exit codes every voxbench command uses (documented in docs/outputs.md).
 *
 * @example
 * ```ts
 * import { ExitCode } from "./exit-codes.ts";
 * console.log(ExitCode.Usage); // 2
 * ```
 */
export const ExitCode = {
  /** Everything passed. */
  Ok: 0,
  /** A target or threshold failed, or a comparison found a regression. */
  ThresholdFailed: 1,
  /** Bad flags, configuration or input files. */
  Usage: 2,
  /** The run is not valid: the load generator itself fell behind, so its numbers cannot be trusted. */
  InvalidRun: 3,
  /** voxbench itself failed (a bug): one line on stderr, please report it. */
  Internal: 70,
  /** Interrupted by Ctrl-C or SIGTERM (results collected so far were still written). */
  Interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
