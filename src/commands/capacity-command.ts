import process from "node:process";
import { ExitCode } from "../common/exit-codes.ts";
import { redactUrl } from "../common/redact.ts";
import { randomSeed } from "../common/random.ts";
import type { RawValue } from "../config/parse-values.ts";
import { makeRunId, prepareRun } from "../load/runner.ts";
import { checkExportDir } from "../report/exports.ts";
import { sanitizeForTerminal } from "../report/sanitize.ts";
import { onStopRequest } from "../process/stop-requests.ts";
import { relaunchWithSingleThreadedGc } from "../process/relaunch.ts";
import { searchCapacity, type SearchOutcome } from "../capacity/search.ts";
import { type CapacityMode, type CapacityStep, runStep, stepOptions } from "../capacity/step.ts";
import { type CapacityReport, failedThresholds, writeCapacityFiles } from "../capacity/capacity-files.ts";
import { CAPACITY_FLAG_KEYS, type CapacitySettings, parseCapacityFlags } from "./capacity-flags.ts";
import { parseRunFlags, RUN_FLAG_KEYS } from "./run-flags.ts";
import { startLiveMetrics, withConfigFile } from "./run-command.ts";
import type { TurnRecord } from "../metrics/turn-record.ts";

/** A load as people read it. */
function describeLoad(mode: CapacityMode, load: number): string {
  return mode === "concurrency" ? `${load} calls in progress` : `${load} calls/s`;
}

/** One line per measured step: each threshold's measured value over the judged turns, and the verdict. */
function stepLine(step: CapacityStep, mode: CapacityMode): string {
  const measured = step.verdicts.map((verdict) =>
    `${verdict.expression.replace(/\s*(<=|>=|==|!=|<|>).*$/, "")} ${
      verdict.measured === null ? "-" : Math.round(verdict.measured * 1000) / 1000
    }`
  ).join(", ");
  const verdict = step.interrupted
    ? "STOPPED (not judged)"
    : !step.valid
    ? `NOT VALID: ${step.generatorReasons[0] ?? "voxbench fell behind"}`
    : step.passed
    ? "pass"
    : `FAIL ${failedThresholds(step).join(", ")}`;
  return `  step ${step.index + 1}: ${
    describeLoad(mode, step.load)
  }: ${step.judgedTurns} turns judged, ${measured}: ${verdict}`;
}

/** The search's conclusion for people, and the exit code it earns. */
export function concludeSearch(
  outcome: SearchOutcome<CapacityStep>,
  settings: CapacitySettings,
  end: CapacityReport["end"],
): { readonly conclusion: string; readonly exitCode: number } {
  const { mode } = settings.step;
  const capacity = outcome.capacity;
  const atLeast = capacity
    ? `the capacity is at least ${describeLoad(mode, capacity.load)}`
    : "no load passed";
  switch (end) {
    case "found":
      return {
        conclusion: `Capacity: ${describeLoad(mode, capacity!.load)} met every threshold; ${
          describeLoad(mode, outcome.firstFailing!.load)
        } did not (${failedThresholds(outcome.firstFailing!).join(", ")})`,
        exitCode: ExitCode.Ok,
      };
    case "first_step_failed":
      return {
        conclusion: `No capacity found: the first step, ${
          describeLoad(mode, outcome.firstFailing!.load)
        }, failed ${failedThresholds(outcome.firstFailing!).join(", ")} (try a lower --start)`,
        exitCode: ExitCode.ThresholdFailed,
      };
    case "max_load":
      return {
        conclusion: `Every step up to --max-load passed: ${atLeast}`,
        exitCode: ExitCode.Ok,
      };
    case "generator_lagged": {
      const last = outcome.steps.at(-1)!;
      return {
        conclusion: `NOT VALID: voxbench itself fell behind at ${describeLoad(mode, last.load)} (${
          last.generatorReasons[0] ?? "its event loop lagged"
        }), so that step says nothing about the bot; ${atLeast} (${
          mode === "concurrency" ? "use --workers, or more machines" : "voxbench needs more CPU for this rate"
        })`,
        exitCode: ExitCode.InvalidRun,
      };
    }
    case "max_duration":
      return {
        conclusion: `--max-duration reached before the search ended: ${
          outcome.steps.some((step) => !step.interrupted) ? atLeast : "no step was judged"
        }${outcome.firstFailing ? `, and ${describeLoad(mode, outcome.firstFailing.load)} failed` : ""}`,
        exitCode: capacity ? ExitCode.Ok : ExitCode.ThresholdFailed,
      };
    case "stopped":
      return { conclusion: `Stopped: ${atLeast} so far`, exitCode: ExitCode.Interrupted };
  }
}

/**
 * `voxbench capacity`: steps the load up until a step fails its thresholds, bisects to the
 * highest load that met them, prints each step and the conclusion, and writes capacity.json,
 * capacity.csv and each step's run. Ctrl-C stops it and still writes the steps measured.
 */
export async function capacityCommand(raw: Record<string, RawValue>): Promise<number> {
  const given = await withConfigFile(raw, [...RUN_FLAG_KEYS, ...CAPACITY_FLAG_KEYS]);
  const runRaw = Object.fromEntries(
    Object.entries(given).filter(([key]) => !CAPACITY_FLAG_KEYS.includes(key)),
  );
  const givenFlags = parseRunFlags(runRaw);
  // One seed for every step, so that steps differ only in their load.
  const flags = {
    ...givenFlags,
    options: { ...givenFlags.options, seed: givenFlags.options.seed ?? randomSeed() },
  };
  const settings = parseCapacityFlags(given, flags.options);
  // Every usage error surfaces before anything runs: the first and the largest step's options are
  // checked whole (a limit such as the turns one run records depends on the load).
  await prepareRun(stepOptions(flags.options, settings.step, settings.plan.startLoad));
  await prepareRun(stepOptions(flags.options, settings.step, settings.plan.maxLoad));
  if (flags.export) await checkExportDir(flags.exportDir);
  const relaunched = await relaunchWithSingleThreadedGc();
  if (relaunched !== undefined) return relaunched;
  const live = await startLiveMetrics(flags);
  const hooks = live
    ? {
      onTurn: (record: TurnRecord) => live.metrics.turn(record),
      onCallsChange: (delta: 1 | -1) => live.metrics.callsChanged(delta),
    }
    : {};

  const userStop = new AbortController();
  let signals = 0;
  const stopListening = onStopRequest(() => {
    signals++;
    if (signals > 1) process.exit(ExitCode.Interrupted);
    process.stderr.write(
      "\nvoxbench: stopping (writing the steps measured; press Ctrl-C again to quit at once)\n",
    );
    userStop.abort();
  });
  // The time budget: no step starts that cannot hold its load within it, and a step still running
  // when it ends is stopped (and not judged).
  const budget = new AbortController();
  const deadlineMs = performance.now() + settings.maxDurationS * 1000;
  const budgetTimer = setTimeout(() => budget.abort(), settings.maxDurationS * 1000);
  const signal = AbortSignal.any([userStop.signal, budget.signal]);
  const id = `capacity-${makeRunId()}`;
  const startedAt = new Date().toISOString();
  const { mode, holdS } = settings.step;
  const server = flags.options.server ?? "ws://localhost:8000/ws";
  const log = (line: string): void => {
    if (!flags.quiet) process.stdout.write(`${line}\n`);
  };
  log(
    `🔎 voxbench capacity against ${
      redactUrl(server)
    }: ${mode} from ${settings.plan.startLoad} by ${settings.plan.stepLoad} (at most ${settings.plan.maxLoad}), each step held ${holdS} s, until ${
      (flags.options.thresholds ?? []).join(" and ")
    } fails`,
  );
  const steps: CapacityStep[] = [];
  let outcome: SearchOutcome<CapacityStep>;
  let fatal: unknown;
  try {
    outcome = await searchCapacity(settings.plan, async (load) => {
      if (signal.aborted || performance.now() + holdS * 1000 > deadlineMs) return null;
      const step = await runStep(steps.length, flags.options, settings.step, load, signal, hooks);
      steps.push(step);
      log(sanitizeForTerminal(stepLine(step, mode)));
      return step;
    });
  } catch (error) {
    // The steps measured so far are still written, then the error is reported.
    fatal = error;
    const passed = steps.filter((step) => step.valid && !step.interrupted && step.passed);
    outcome = {
      steps,
      capacity: passed.at(-1) ?? null,
      firstFailing: steps.find((step) => step.valid && !step.interrupted && !step.passed) ?? null,
      end: "stopped",
    };
  } finally {
    clearTimeout(budgetTimer);
  }
  const end: CapacityReport["end"] =
    outcome.end === "stopped" && !userStop.signal.aborted && fatal === undefined
      ? "max_duration"
      : outcome.end;
  const { conclusion, exitCode } = concludeSearch(outcome, settings, end);
  const report: CapacityReport = {
    id,
    startedAt,
    endedAt: new Date().toISOString(),
    thresholds: flags.options.thresholds ?? [],
    plan: settings.plan,
    settings: settings.step,
    config: steps[0]?.result.config ?? null,
    steps,
    capacity: outcome.capacity,
    firstFailing: outcome.firstFailing,
    end,
    conclusion,
  };
  process.stdout.write(`${sanitizeForTerminal(conclusion)}\n`);
  if (flags.export) {
    try {
      const paths = await writeCapacityFiles(report, flags.exportDir, { html: flags.html });
      process.stdout.write(`📁 Capacity: ${paths.capacityJson}\n           ${paths.capacityCsv}\n`);
    } catch (error) {
      process.stderr.write(
        `voxbench: could not write the capacity files: ${
          error instanceof Error ? error.message : String(error)
        }\n`,
      );
    }
  }
  await live?.linger(userStop.signal);
  await live?.close();
  // Listening until the files are written: a stop signal now must not lose them.
  stopListening();
  if (fatal !== undefined) throw fatal;
  return exitCode;
}
