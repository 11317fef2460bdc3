/**
 * Runs the CLI with a deadline, for tests of inputs that would hang a reader waiting for the end of
 * the file (a FIFO, /dev/zero): the test fails, and the CLI is killed, when it has not exited in time.
 */
import assert from "node:assert/strict";
import { type CliOptions, type CliResult, startCli } from "../helpers/cli.ts";

/** Generous: the CLI needs about a second; only a hang comes near it. */
export const HANG_GUARD_MS = 20_000;

/** Runs the CLI with `args` and resolves to its result, failing the test if it runs past `limitMs`. */
export async function runCliWithin(
  args: readonly string[],
  options: CliOptions = {},
  limitMs = HANG_GUARD_MS,
): Promise<CliResult> {
  const run = startCli(args, options);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), limitMs);
  });
  const outcome = await Promise.race([run.done, expired]);
  clearTimeout(timer);
  if (outcome === "expired") {
    run.signal("SIGKILL");
    const killed = await run.done;
    assert.fail(
      `voxbench ${
        args.join(" ")
      } had not exited after ${limitMs} ms (it hangs); output so far:\n${killed.stdout}${killed.stderr}`,
    );
  }
  return outcome;
}

/** The lines of `text`, without the final newline. */
export function linesOf(text: string): string[] {
  return text.replace(/\n$/, "").split("\n");
}
