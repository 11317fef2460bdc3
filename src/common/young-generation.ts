import process from "node:process";
import v8 from "node:v8";

/** Young-generation sizing flags a user may have given Node themselves (they are left alone). */
const USER_SIZING_FLAG = /--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/;

/**
 * Stops V8 from growing its young generation past the size it starts with (semi-spaces of about
 * 1 MiB on Node 20), for the rest of the process.
 *
 * Why: a caller's socket timestamps, and the reference bot's, are only as punctual as their event
 * loops. With the default growth the young generation reaches 16 MiB semi-spaces under load; V8
 * then starts a full mark-compact whenever the old generation's headroom is smaller than that,
 * which for a load generator's small, steady heap is about once a second, and each one pauses the
 * loop for 4-12 ms. Small semi-spaces trade them for more frequent scavenges of well under a
 * millisecond. It only changes V8's `--semi-space-growth-factor`, which V8 reads each time it
 * would grow. Nothing is changed when Node was started with its own semi-space flag (on the command
 * line or in NODE_OPTIONS). Creating a worker thread later re-applies the command line's V8 flags
 * and undoes this.
 *
 * @returns false when the flag was not set: the user sized the young generation, or the runtime
 *   refused (the run goes on with V8's defaults).
 * @example
 * ```ts
 * import { keepYoungGenerationSmall } from "./young-generation.ts";
 * console.log(typeof keepYoungGenerationSmall()); // "boolean"
 * ```
 */
export function keepYoungGenerationSmall(): boolean {
  if (USER_SIZING_FLAG.test(`${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`)) return false;
  try {
    v8.setFlagsFromString("--semi-space-growth-factor=1");
    return true;
  } catch {
    return false;
  }
}
