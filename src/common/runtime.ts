import process from "node:process";

/** Which JavaScript runtime voxbench is running on, recorded in every summary. */
export interface RuntimeInfo {
  readonly name: "node" | "deno";
  readonly version: string;
}

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
  if (deno?.version?.deno) return { name: "deno", version: deno.version.deno };
  return { name: "node", version: process.versions.node };
}
