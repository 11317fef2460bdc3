import process from "node:process";
import { UsageError } from "../common/errors.ts";
import { parseString, type RawValue } from "../config/parse-values.ts";
import { formatConsoleReport } from "../report/console-report.ts";
import { DEFAULT_EXPORT_DIR, saveExports } from "../report/exports.ts";
import { mergeShards } from "../report/merge.ts";
import { exitCodeFor } from "./run-command.ts";
import { parseRunId } from "./run-flags.ts";
import type { FlagSpec } from "./flag-spec.ts";

/** Every flag of `voxbench merge`, with its help text. */
export const MERGE_FLAGS: readonly FlagSpec[] = [
  { name: "--run-id <id>", description: "Name of the merged run (default: the test's run id)" },
  { name: "--export-dir <dir>", description: `Where <run-id>/ is written (default ${DEFAULT_EXPORT_DIR})` },
];

/**
 * `voxbench merge <shard folders...>`: merges the shards of one test into one run folder (turns,
 * summary, verdicts, health), prints its report and exits as a run would (1 on a failed threshold,
 * 3 when a shard's generator fell behind).
 */
export async function mergeCommand(
  folders: readonly string[],
  raw: Record<string, RawValue>,
): Promise<number> {
  if (folders.length === 0) {
    throw new UsageError(
      "voxbench merge needs the run folders of a test's shards (e.g. results/test-shard-*)",
    );
  }
  const runId = raw.runId === undefined ? undefined : parseRunId(raw.runId);
  const exportDir = raw.exportDir === undefined
    ? DEFAULT_EXPORT_DIR
    : parseString("--export-dir", raw.exportDir);
  const { result, warnings } = await mergeShards(folders, runId);
  for (const warning of warnings) process.stderr.write(`voxbench: warning: ${warning}\n`);
  process.stdout.write(`${formatConsoleReport(result)}\n`);
  const saved = await saveExports(result, exportDir);
  if (saved.fallbackReason) {
    process.stderr.write(
      `voxbench: could not write the exports to ${saved.fallbackReason}; wrote them to ${saved.dir} instead\n`,
    );
  }
  process.stdout.write(
    `📁 Merged ${folders.length} shard(s): ${saved.summaryJson}\n           ${saved.turnsCsv}\n`,
  );
  return exitCodeFor(result);
}
