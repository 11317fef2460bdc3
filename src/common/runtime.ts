import process from "node:process";

/** Which JavaScript runtime voxbench is running on, recorded in every summary. */
export interface RuntimeInfo {
  readonly name: "node" | "deno";
  readonly version: string;
  /**
   * Whether V8 runs its garbage collector on the main thread alone (`--single-threaded-gc`: on
   * Node's command line, or in DENO_V8_FLAGS on Deno, whose `--v8-flags` cannot be read back).
   */
  readonly singleThreadedGc: boolean;
}

const SINGLE_THREADED_GC = /--single[-_]threaded(?:[-_]gc)?(?![-_\w])/;

/**
 * Detects Node or Deno (Deno also sets `process.versions.node` for compatibility, so it is checked first).
 *
 * @example
 * ```ts
 * import { currentRuntime } from "./runtime.ts";
 * console.log(["node", "deno"].includes(currentRuntime().name)); // true
 * ```
 */
export function currentRuntime(): RuntimeInfo {
  const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno;
  const flags = `${process.execArgv.join(" ")} ${deno ? (process.env.DENO_V8_FLAGS ?? "") : ""}`;
  const singleThreadedGc = SINGLE_THREADED_GC.test(flags);
  if (deno?.version?.deno) return { name: "deno", version: deno.version.deno, singleThreadedGc };
  return { name: "node", version: process.versions.node, singleThreadedGc };
}
