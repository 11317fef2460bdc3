import process from "node:process";
import { rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../common/errors.ts";
import { showControlCharacters } from "../common/printable.ts";
import { readRunFolder } from "../report/merge.ts";
import { renderHtmlReport } from "../report/html/html-report.ts";
import { ExitCode } from "../common/exit-codes.ts";

/**
 * `voxbench report <run-folder>`: (re)builds the folder's report.html from its summary.json and
 * turns.csv, written atomically (a temporary file renamed into place).
 */
export async function reportCommand(folder: string | undefined): Promise<number> {
  if (folder === undefined) {
    throw new UsageError("voxbench report needs a run folder (e.g. exports/20261128-031500-ab12)");
  }
  const shown = showControlCharacters(folder);
  try {
    if (!(await stat(folder)).isDirectory()) throw new UsageError(`${shown}: not a run folder`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${shown}: no such run folder`);
  }
  const run = await readRunFolder(folder);
  const path = join(folder, "report.html");
  const temporary = join(folder, `.report.html.partial-${process.pid}`);
  await writeFile(temporary, renderHtmlReport(run.summary, run.turns));
  await rename(temporary, path);
  process.stdout.write(`📁 Report: ${path}\n`);
  return ExitCode.Ok;
}
