import process from "node:process";
import { currentRuntime } from "./common/runtime.ts";

/** voxbench's version; a test keeps it equal to package.json and deno.json. */
export const VERSION = "0.1.0";

/**
 * What `voxbench --version` prints: version, platform and the runtime's own version. (cac's line
 * reads `process.version`, which on Deno is the Node version it emulates, not Deno's.)
 *
 * @example
 * ```ts
 * import { versionLine } from "./version.ts";
 * console.log(versionLine()); // e.g. "voxbench/0.1.0 linux-x64 deno-2.9.6"
 * ```
 */
export function versionLine(): string {
  const runtime = currentRuntime();
  return `voxbench/${VERSION} ${process.platform}-${process.arch} ${runtime.name}-${runtime.version}`;
}
