/** Temporary folders and special files (FIFOs) for tests that read what a user points voxbench at. */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temporary folder for one test, removed afterwards whatever happens. */
export async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "voxbench-special-"));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A real FIFO (named pipe) at `path`: opening it for reading blocks until a writer comes. */
export function makeFifo(path: string): void {
  execFileSync("mkfifo", [path]);
}
