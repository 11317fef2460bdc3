import process from "node:process";
import ora, { type Ora } from "ora";
import { percentileOfSorted } from "../metrics/percentiles.ts";
import type { TurnRecord } from "../metrics/turn-record.ts";
import type { RunProgress } from "../load/options.ts";

/** Shows progress while a run goes: a spinner on a terminal, plain lines otherwise, nothing with --quiet. */
export interface ProgressReporter {
  start(text: string): void;
  turn(record: TurnRecord, progress: RunProgress): void;
  stop(): void;
}

const PLAIN_INTERVAL_MS = 5000;
const ROLLING_WINDOW = 200;

/**
 * Chooses how to show progress. The ora spinner is used only when stderr is a terminal with a
 * width (ora spins forever on a zero-column terminal); otherwise a plain line every 5 s.
 *
 * @example
 * ```ts
 * import { createProgress } from "./progress.ts";
 * const progress = createProgress({ quiet: true });
 * progress.start("starting");
 * progress.stop();
 * ```
 */
export function createProgress(options: { quiet?: boolean } = {}): ProgressReporter {
  if (options.quiet) return { start: () => {}, turn: () => {}, stop: () => {} };
  const stderr = process.stderr as NodeJS.WriteStream;
  const interactive = Boolean(stderr.isTTY) && (stderr.columns ?? 0) > 0;
  const ttfts: number[] = [];
  const describe = (progress: RunProgress): string => {
    const sorted = [...ttfts].sort((a, b) => a - b);
    const rolling = sorted.length === 0
      ? ""
      : `, TTFT p50 ${percentileOfSorted(sorted, 50).toFixed(0)} ms p95 ${
        percentileOfSorted(sorted, 95).toFixed(0)
      } ms (last ${sorted.length})`;
    const done = progress.total > 0 ? `${progress.done}/${progress.total}` : `${progress.done}`;
    return `${done} turns, ${progress.failed} failed${rolling}`;
  };
  const remember = (record: TurnRecord): void => {
    if (record.ttft_ms === null) return;
    ttfts.push(record.ttft_ms);
    if (ttfts.length > ROLLING_WINDOW) ttfts.shift();
  };
  if (interactive) {
    let spinner: Ora | undefined;
    return {
      start: (text) => {
        // stdin stays as it is: ora's default puts the terminal in raw mode and re-sends Ctrl-C to
        // this process alone, which a re-started run (src/process/relaunch.ts) cannot tell from a
        // stray signal; cooked, Ctrl-C is the terminal's SIGINT to the whole process group.
        spinner = ora({ text, stream: stderr, discardStdin: false }).start();
      },
      turn: (record, progress) => {
        remember(record);
        if (spinner) spinner.text = describe(progress);
      },
      stop: () => spinner?.stop(),
    };
  }
  let lastPrintMs = 0;
  let latest: RunProgress | undefined;
  let printed: RunProgress | undefined;
  return {
    start: (text) => {
      lastPrintMs = performance.now();
      stderr.write(`${text}\n`);
    },
    turn: (record, progress) => {
      remember(record);
      latest = progress;
      if (performance.now() - lastPrintMs >= PLAIN_INTERVAL_MS) {
        lastPrintMs = performance.now();
        printed = progress;
        stderr.write(`[voxbench] ${describe(progress)}\n`);
      }
    },
    stop: () => {
      if (latest && latest !== printed) stderr.write(`[voxbench] ${describe(latest)}\n`);
    },
  };
}
