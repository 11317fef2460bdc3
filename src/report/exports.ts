import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { UsageError } from "../common/errors.ts";
import type { RunResult } from "../load/runner.ts";
import type { HealthSamples } from "../load/health.ts";
import { turnsToCsv } from "./turns-csv.ts";
import { timelineCsv } from "../metrics/timeline.ts";
import { renderHtmlReport } from "./html/html-report.ts";

/** Where a run's files went. */
export interface ExportPaths {
  readonly dir: string;
  readonly summaryJson: string;
  readonly turnsCsv: string;
  /** The HTML report, unless it was not asked for. */
  readonly reportHtml?: string;
}

/** What to write beside summary.json and turns.csv. */
export interface ExportOptions {
  /** report.html (default true). */
  readonly html?: boolean;
}

/** summary.json: the run result without the per-turn rows (those are turns.csv). */
export function summaryJson(result: RunResult): string {
  const { turns: _turns, extraColumns: _extraColumns, healthSamples: _healthSamples, ...summary } = result;
  return `${JSON.stringify({ ...summary, turnsFile: "turns.csv" }, null, 2)}\n`;
}

/** A shard's raw health samples as JSON (the frame-lag histogram's bins as plain arrays). */
export function healthSamplesJson(samples: HealthSamples): string {
  return `${
    JSON.stringify({
      ...samples,
      frameLags: {
        ...samples.frameLags,
        fine: [...samples.frameLags.fine],
        coarse: [...samples.frameLags.coarse],
      },
    })
  }\n`;
}

/** Bytes written by the pre-run check: room for a first summary.json and the start of turns.csv. */
const PROBE_BYTES = 64 * 1024;

/** A file-system error as a short reason a user can act on. */
function describeWriteError(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ENOTDIR":
      return "a part of the path is a file, not a folder";
    case "EEXIST":
      return "it is a file, not a folder";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EROFS":
      return "the file system is read-only";
    case "ENOSPC":
      return "no space left on the device";
    case "EDQUOT":
      return "the disk quota is exhausted";
  }
  return code ?? (error instanceof Error ? error.message.split("\n")[0]! : String(error));
}

/** Where run folders go when no --export-dir is given (relative to the working directory). */
export const DEFAULT_EXPORT_DIR = "exports";

/**
 * Checks, before a run starts, that its exports can be written under `exportDir`: the folder can
 * be made, is a folder, is writable and has room for a first write. A run whose results cannot be
 * kept is refused before it starts, instead of being thrown away after.
 *
 * @throws {UsageError} naming the folder and the reason.
 * @example
 * ```ts
 * import { checkExportDir } from "./exports.ts";
 * await checkExportDir("exports");
 * ```
 */
export async function checkExportDir(exportDir: string): Promise<void> {
  const fail = (error: unknown): never => {
    throw new UsageError(
      `--export-dir ${exportDir}: cannot write the results there (${describeWriteError(error)})`,
    );
  };
  try {
    await mkdir(exportDir, { recursive: true });
  } catch (error) {
    // A recursive mkdir can report ENOENT for a parent it could not make: one level says why.
    await mkdir(exportDir).catch((precise: unknown) =>
      fail((precise as { code?: string }).code === "ENOENT" ? error : precise)
    );
    fail(error);
  }
  try {
    if (!(await stat(exportDir)).isDirectory()) fail({ code: "EEXIST" });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    fail(error);
  }
  const probe = join(exportDir, `.voxbench-write-check-${process.pid}-${randomBytes(4).toString("hex")}`);
  try {
    await writeFile(probe, new Uint8Array(PROBE_BYTES));
  } catch (error) {
    await rm(probe, { force: true }).catch(() => {});
    fail(error);
  }
  await rm(probe, { force: true });
}

/**
 * Writes `<exportDir>/<runId>/summary.json` and `turns.csv` atomically: both files are written in
 * a temporary folder that is renamed into place, so a reader never sees half a run. An existing
 * run folder is never overwritten: a numeric suffix is added instead, also when two runs with the
 * same id finish at the same moment (renaming onto a folder that holds files fails, and the next
 * suffix is tried).
 *
 * @example
 * ```ts
 * import { writeExports } from "./exports.ts";
 * // const paths = await writeExports(await run({ ... }), "exports");
 * ```
 */
export async function writeExports(
  result: RunResult,
  exportDir: string,
  options: ExportOptions = {},
): Promise<ExportPaths> {
  const html = options.html ?? true;
  await mkdir(exportDir, { recursive: true });
  const staging = join(
    exportDir,
    `.${result.runId}.partial-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
  await mkdir(staging);
  try {
    await writeFile(join(staging, "summary.json"), summaryJson(result));
    await writeFile(join(staging, "turns.csv"), turnsToCsv(result.turns, result.extraColumns));
    if (result.timeline) await writeFile(join(staging, "timeline.csv"), timelineCsv(result.timeline));
    if (result.healthSamples) {
      await writeFile(join(staging, "health-samples.json"), healthSamplesJson(result.healthSamples));
    }
    if (html) await writeFile(join(staging, "report.html"), renderHtmlReport(result, result.turns));
    for (let suffix = 1;; suffix++) {
      const dir = join(exportDir, suffix === 1 ? result.runId : `${result.runId}-${suffix}`);
      if (await exists(dir)) continue;
      try {
        await rename(staging, dir);
        return {
          dir,
          summaryJson: join(dir, "summary.json"),
          turnsCsv: join(dir, "turns.csv"),
          ...(html ? { reportHtml: join(dir, "report.html") } : {}),
        };
      } catch (error) {
        const code = (error as { code?: string }).code;
        // Another run took the name between the check and the rename.
        if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      }
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Where exports went, and whether that is the folder asked for. */
export interface SavedExports extends ExportPaths {
  /** Set when `exportDir` could not be written and the results went to a fallback folder. */
  readonly fallbackReason?: string;
}

/**
 * Writes the exports to `exportDir`, and if that fails (the disk filled up during the run, the
 * folder was removed...), to a fallback folder under the system's temporary folder, then the
 * working directory: finished results are never lost to a write error.
 *
 * @throws the last error when no folder at all could be written.
 * @example
 * ```ts
 * import { saveExports } from "./exports.ts";
 * // const saved = await saveExports(result, "exports"); if (saved.fallbackReason) ...
 * ```
 */
export async function saveExports(
  result: RunResult,
  exportDir: string,
  options: ExportOptions = {},
): Promise<SavedExports> {
  let firstError: unknown;
  for (const dir of [exportDir, join(tmpdir(), "voxbench-exports"), "voxbench-exports"]) {
    try {
      const paths = await writeExports(result, dir, options);
      return firstError === undefined
        ? paths
        : { ...paths, fallbackReason: `${exportDir}: ${describeWriteError(firstError)}` };
    } catch (error) {
      firstError ??= error;
    }
  }
  throw new Error(`could not write the exports anywhere (${exportDir}: ${describeWriteError(firstError)})`);
}
