import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import type { RunResult } from "../load/runner.ts";
import { turnsToCsv } from "./turns-csv.ts";

/** Where a run's files went. */
export interface ExportPaths {
  readonly dir: string;
  readonly summaryJson: string;
  readonly turnsCsv: string;
}

/** summary.json: the run result without the per-turn rows (those are turns.csv). */
export function summaryJson(result: RunResult): string {
  const { turns: _turns, ...summary } = result;
  return `${JSON.stringify({ ...summary, turnsFile: "turns.csv" }, null, 2)}\n`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `<exportDir>/<runId>/summary.json` and `turns.csv` atomically: both files are written in
 * a temporary folder that is renamed into place, so a reader never sees half a run, and an
 * existing run folder is never overwritten (a numeric suffix is added instead).
 *
 * @example
 * ```ts
 * import { writeExports } from "./exports.ts";
 * // const paths = await writeExports(await run({ ... }), "exports");
 * ```
 */
export async function writeExports(result: RunResult, exportDir: string): Promise<ExportPaths> {
  await mkdir(exportDir, { recursive: true });
  const staging = join(exportDir, `.${result.runId}.partial-${process.pid}-${Date.now()}`);
  await mkdir(staging);
  try {
    await writeFile(join(staging, "summary.json"), summaryJson(result));
    await writeFile(join(staging, "turns.csv"), turnsToCsv(result.turns));
    let dir = join(exportDir, result.runId);
    for (let suffix = 2; await exists(dir); suffix++) dir = join(exportDir, `${result.runId}-${suffix}`);
    await rename(staging, dir);
    return { dir, summaryJson: join(dir, "summary.json"), turnsCsv: join(dir, "turns.csv") };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
