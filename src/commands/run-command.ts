import process from "node:process";
import { ExitCode } from "../common/exit-codes.ts";
import { anyFailed } from "../metrics/targets.ts";
import type { RawValue } from "../config/parse-values.ts";
import { executeRun as executePreparedRun, prepareRun, type RunResult } from "../load/runner.ts";
import type { RunOptions } from "../load/options.ts";
import { formatConsoleReport } from "../report/console-report.ts";
import { checkExportDir, saveExports } from "../report/exports.ts";
import { createProgress } from "../report/progress.ts";
import { parseRunFlags, RUN_FLAG_KEYS, type RunFlags } from "./run-flags.ts";
import { loadConfigFile } from "../config/config-file.ts";
import { redactUrl } from "../common/redact.ts";
import { relaunchWithSingleThreadedGc } from "../process/relaunch.ts";
import { onStopRequest } from "../process/stop-requests.ts";
import { RunMetrics } from "../live/run-metrics.ts";
import { serveMetrics } from "../live/metrics-server.ts";

/** The exit code a finished run earns: interrupted 130, invalid generator 3, a failed verdict 1, else 0. */
export function exitCodeFor(result: RunResult): number {
  if (result.interrupted) return ExitCode.Interrupted;
  if (!result.health.valid) return ExitCode.InvalidRun;
  if (anyFailed(result.verdicts)) return ExitCode.ThresholdFailed;
  return ExitCode.Ok;
}

/**
 * Runs a load test with progress, prints the report, writes the exports, and resolves to the exit
 * code. Ctrl-C (or SIGTERM) stops starting turns and still reports and exports what finished; a
 * second one exits at once.
 */
export async function executeRun(
  flags: RunFlags,
  extra: Partial<RunOptions> = {},
  banner?: string,
): Promise<number> {
  // Every usage error surfaces before anything is printed or connected, including a folder the
  // results could not be written to.
  const prepared = await prepareRun({ ...flags.options, ...extra });
  if (flags.export) await checkExportDir(flags.exportDir);
  // A port that cannot be listened on is a usage error too, before anything connects.
  const live = await startLiveMetrics(flags);
  const controller = new AbortController();
  let signals = 0;
  const stopListening = onStopRequest(() => {
    signals++;
    if (signals > 1) process.exit(ExitCode.Interrupted);
    process.stderr.write("\nvoxbench: stopping (finishing the report; press Ctrl-C again to quit at once)\n");
    controller.abort();
  });
  const progress = createProgress({ quiet: flags.quiet });
  try {
    const options: RunOptions = {
      signal: controller.signal,
      onTurn: (record, state) => {
        progress.turn(record, state);
        live?.metrics.turn(record);
      },
      ...(live ? { onCallsChange: (delta: 1 | -1) => live.metrics.callsChanged(delta) } : {}),
    };
    if (!flags.quiet && banner) process.stderr.write(`${banner}\n`);
    progress.start("voxbench: starting callers");
    let result: RunResult;
    try {
      result = await executePreparedRun(prepared, options);
    } finally {
      progress.stop();
    }
    process.stdout.write(`${formatConsoleReport(result)}\n`);
    if (flags.export) {
      try {
        const saved = await saveExports(result, flags.exportDir, { html: flags.html });
        if (saved.fallbackReason) {
          process.stderr.write(
            `voxbench: could not write the exports to ${saved.fallbackReason}; wrote them to ${saved.dir} instead\n`,
          );
        }
        process.stdout.write(
          `📁 Exports: ${saved.summaryJson}\n           ${saved.turnsCsv}\n${
            saved.reportHtml ? `           ${saved.reportHtml}\n` : ""
          }`,
        );
      } catch (error) {
        process.stderr.write(`voxbench: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    await live?.linger(controller.signal);
    return exitCodeFor(result);
  } finally {
    await live?.close();
    stopListening();
  }
}

/** The live /metrics endpoint of a run (--metrics-port), or undefined. */
export async function startLiveMetrics(flags: RunFlags): Promise<
  | {
    readonly metrics: RunMetrics;
    linger(signal: AbortSignal): Promise<void>;
    close(): Promise<void>;
  }
  | undefined
> {
  if (flags.metricsPort === undefined) return undefined;
  const metrics = new RunMetrics();
  const endpoint = await serveMetrics(metrics.registry, flags.metricsPort);
  if (!flags.quiet) process.stderr.write(`voxbench: Prometheus metrics on ${endpoint.url}\n`);
  return {
    metrics,
    // A scraper's last look at the final figures; Ctrl-C cuts it short.
    linger: async (signal) => {
      if (flags.metricsLingerS <= 0 || signal.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, flags.metricsLingerS * 1000);
        signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    },
    close: async () => {
      metrics.stop();
      await endpoint.close();
    },
  };
}

/**
 * Merges the config file (--config, or ./voxbench.config.json) under the command-line flags: a flag
 * given on the command line always wins.
 */
export async function withConfigFile(
  raw: Record<string, RawValue>,
  keys: readonly string[] = RUN_FLAG_KEYS,
): Promise<Record<string, RawValue>> {
  const explicit = raw.config === undefined ? undefined : String(raw.config);
  const fromFile = await loadConfigFile(explicit, keys);
  const fromCli = Object.fromEntries(
    Object.entries(raw).filter(([key, value]) =>
      key !== "--" && key !== "config" && value !== undefined &&
      !((key === "export" || key === "html") && value === true)
    ),
  );
  return { ...fromFile, ...fromCli };
}

/** `voxbench run` (and plain `voxbench`). */
export async function runCommand(raw: Record<string, RawValue>): Promise<number> {
  const flags = parseRunFlags(await withConfigFile(raw));
  // Flags are checked first, so a usage error is reported once, by this process.
  const relaunched = await relaunchWithSingleThreadedGc();
  if (relaunched !== undefined) return relaunched;
  const server = flags.options.server ?? "ws://localhost:8000/ws";
  return executeRun(flags, {}, `🚀 voxbench load test against ${redactUrl(server)}`);
}
