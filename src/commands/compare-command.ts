import process from "node:process";
import { UsageError } from "../common/errors.ts";
import { ExitCode } from "../common/exit-codes.ts";
import { parseNumber, parseNonNegativeNumber, type RawValue } from "../config/parse-values.ts";
import { compareRuns, formatComparison, loadComparedRun } from "../report/compare.ts";

/**
 * `voxbench compare BASELINE CANDIDATE`: prints the comparison (or JSON with --json) and exits 1
 * when any metric regressed.
 */
export async function compareCommand(baselinePath: string | undefined, candidatePath: string | undefined, raw: Record<string, RawValue>): Promise<number> {
  if (!baselinePath || !candidatePath) throw new UsageError("voxbench compare needs two runs: BASELINE CANDIDATE (run folders or summary.json files)");
  const maxRegression = raw.maxRegression === undefined ? 10 : parseNonNegativeNumber("--max-regression", String(raw.maxRegression).replace(/%$/, ""));
  const alpha = raw.alpha === undefined ? 0.01 : parseNumber("--alpha", raw.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha must be between 0 and 1 (got ${alpha})`);
  const [baseline, candidate] = await Promise.all([loadComparedRun(baselinePath), loadComparedRun(candidatePath)]);
  const comparison = compareRuns(baseline, candidate, maxRegression, alpha);
  process.stdout.write(raw.json ? `${JSON.stringify(comparison, null, 2)}\n` : `${formatComparison(comparison)}\n`);
  return comparison.regressions > 0 ? ExitCode.ThresholdFailed : ExitCode.Ok;
}
