import process from "node:process";
import { UsageError } from "../common/errors.ts";
import { ExitCode } from "../common/exit-codes.ts";
import { parseNonNegativeNumber, parseNumber, parseString, type RawValue } from "../config/parse-values.ts";
import { writeFile } from "node:fs/promises";
import { renderComparePage } from "../report/html/compare-page.ts";
import { comparabilityProblems, compareRuns, formatComparison, loadComparedRun } from "../report/compare.ts";
import type { FlagSpec } from "./flag-spec.ts";

/** What `voxbench compare` judges with when no flag says otherwise. */
export const COMPARE_DEFAULTS = { maxRegressionPercent: 10, alpha: 0.01 } as const;

/** Every flag of `voxbench compare`, with its help text. */
export const COMPARE_FLAGS: readonly FlagSpec[] = [
  {
    name: "--max-regression <percent>",
    description:
      `A change must be worse than this to count (default ${COMPARE_DEFAULTS.maxRegressionPercent})`,
  },
  {
    name: "--alpha <p>",
    description:
      `Significance level of the tests: Mann-Whitney U, and Fisher's exact test for the success rate (default ${COMPARE_DEFAULTS.alpha})`,
  },
  {
    name: "--force",
    description:
      "Compare runs it would refuse (no turns, interrupted, cut turns.csv, another protocol or scenario mix), with a warning for each problem",
  },
  { name: "--json", description: "Print the comparison as JSON" },
  {
    name: "--html <file>",
    description: "Also write the comparison as one offline page: distributions overlaid, the table",
  },
];

/**
 * `voxbench compare BASELINE CANDIDATE`: prints the comparison (or JSON with --json) and exits 1
 * when any metric regressed. Runs it cannot judge (no turns, interrupted, a cut turns.csv, another
 * protocol or scenario mix) are refused with exit 2, unless --force makes each problem a warning
 * line on stderr (and in the comparison's warnings).
 *
 * @example
 * ```ts
 * import { compareCommand } from "./compare-command.ts";
 * // const exitCode = await compareCommand("exports/baseline", "exports/candidate", { force: true });
 * ```
 */
export async function compareCommand(
  baselinePath: string | undefined,
  candidatePath: string | undefined,
  raw: Record<string, RawValue>,
): Promise<number> {
  if (!baselinePath || !candidatePath) {
    throw new UsageError(
      "voxbench compare needs two runs: BASELINE CANDIDATE (run folders or summary.json files)",
    );
  }
  const maxRegression = raw.maxRegression === undefined
    ? COMPARE_DEFAULTS.maxRegressionPercent
    : parseNonNegativeNumber("--max-regression", String(raw.maxRegression).replace(/%$/, ""));
  const alpha = raw.alpha === undefined ? COMPARE_DEFAULTS.alpha : parseNumber("--alpha", raw.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha must be between 0 and 1 (got ${alpha})`);
  const [baseline, candidate] = await Promise.all([
    loadComparedRun(baselinePath),
    loadComparedRun(candidatePath),
  ]);
  const problems = comparabilityProblems(baseline, candidate);
  if (problems.length > 0 && !raw.force) {
    throw new UsageError(`cannot compare: ${problems.join("; ")}; use --force to compare anyway`);
  }
  for (const problem of problems) process.stderr.write(`voxbench: warning: ${problem}\n`);
  const comparison = compareRuns(baseline, candidate, maxRegression, alpha);
  process.stdout.write(
    raw.json ? `${JSON.stringify(comparison, null, 2)}\n` : `${formatComparison(comparison)}\n`,
  );
  if (raw.html !== undefined) {
    const path = parseString("--html", raw.html);
    try {
      await writeFile(path, renderComparePage(comparison, baseline, candidate));
    } catch (error) {
      throw new UsageError(
        `--html ${path}: cannot write (${(error as { code?: string }).code ?? String(error)})`,
      );
    }
    if (!raw.json) process.stdout.write(`📁 Comparison page: ${path}\n`);
  }
  return comparison.regressions > 0 ? ExitCode.ThresholdFailed : ExitCode.Ok;
}
