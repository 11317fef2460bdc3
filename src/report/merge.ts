import { basename, join } from "node:path";
import { UsageError } from "../common/errors.ts";
import { FileReadError, readTextFile } from "../common/read-file.ts";
import { showControlCharacters } from "../common/printable.ts";
import {
  type GeneratorHealth,
  type HealthSamples,
  judgeLoop,
  type LoopHealth,
  mergeSamples,
} from "../load/health.ts";
import type { RunConfig } from "../load/options.ts";
import type { RunResult, TurnCounts } from "../load/runner.ts";
import type { LagHistogramData } from "../metrics/lag-histogram.ts";
import type { Outcome } from "../metrics/outcomes.ts";
import { summarizeRun } from "../metrics/summary.ts";
import { evaluateVerdicts } from "../metrics/targets.ts";
import { TURN_COLUMNS, type TurnRecord } from "../metrics/turn-record.ts";
import { parseThreshold } from "../metrics/verdicts.ts";
import { readCsv } from "./read-csv.ts";

/** turns.csv columns that hold text; every other column holds a number (or is empty). */
const TEXT_COLUMNS: ReadonlySet<string> = new Set([
  "run_id",
  "scenario",
  "audio_file",
  "started_at",
  "outcome",
  "error",
  "second_audio_file",
  "session_id",
  "reply_end",
  "protocol",
  "response_status",
]);

/** A text cell as it was before turns.csv made it safe for spreadsheets (a leading ' before =, +, -, @). */
function unsafeText(cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) || cell.startsWith("'\\u000") ? cell.slice(1) : cell;
}

/** One run folder's files (a shard's, or any run's). */
export interface RunFolder {
  readonly folder: string;
  readonly summary: RunResult;
  readonly turns: TurnRecord[];
  readonly extraColumns: string[];
  readonly samples: HealthSamples | undefined;
}

const MAX_SUMMARY_BYTES = 64 * 1024 * 1024;
const MAX_TURNS_CSV_BYTES = 1024 * 1024 * 1024;

async function readText(path: string, maxBytes: number): Promise<string> {
  try {
    return await readTextFile(path, { maxBytes });
  } catch (error) {
    if (error instanceof FileReadError) {
      throw new UsageError(`${showControlCharacters(path)}: ${error.reason}`);
    }
    throw error;
  }
}

/** Reads turns.csv back into records (the inverse of turnsToCsv, for voxbench's own files). */
export function turnsFromCsv(text: string, where: string): { turns: TurnRecord[]; extraColumns: string[] } {
  const { rows } = readCsv(text);
  const header = rows[0] ?? [];
  for (const column of TURN_COLUMNS.slice(0, 8)) {
    if (!header.includes(column)) {
      throw new UsageError(`${where}: not a voxbench turns.csv (no ${column} column)`);
    }
  }
  const known = new Set<string>(TURN_COLUMNS);
  const extraColumns = header.filter((column) => !known.has(column));
  const turns = rows.slice(1).map((row, line) => {
    if (row.length !== header.length) {
      throw new UsageError(
        `${where}: row ${
          line + 2
        } has ${row.length} cells, the header ${header.length}: the file is cut or damaged`,
      );
    }
    const record = { extra: {} } as Record<string, unknown> & {
      extra: Record<string, number | string | null>;
    };
    header.forEach((column, index) => {
      const cell = row[index]!;
      const value = cell === ""
        ? null
        : TEXT_COLUMNS.has(column)
        ? unsafeText(cell)
        : Number.isFinite(Number(cell))
        ? Number(cell)
        : unsafeText(cell);
      if (known.has(column)) record[column] = value;
      else record.extra[column] = value;
    });
    for (const column of TURN_COLUMNS) if (!(column in record)) record[column] = null;
    return record as unknown as TurnRecord;
  });
  return { turns, extraColumns };
}

/** Reads a run folder back: summary.json, turns.csv, and health-samples.json when present. */
export async function readRunFolder(folder: string): Promise<RunFolder> {
  const summaryPath = join(folder, "summary.json");
  let summary: RunResult;
  try {
    summary = JSON.parse(await readText(summaryPath, MAX_SUMMARY_BYTES)) as RunResult;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${showControlCharacters(summaryPath)}: not valid JSON`);
  }
  if (summary.schemaVersion !== 1 || typeof summary.config !== "object") {
    throw new UsageError(`${showControlCharacters(summaryPath)}: not a voxbench summary`);
  }
  const csvPath = join(folder, "turns.csv");
  const { turns, extraColumns } = turnsFromCsv(
    await readText(csvPath, MAX_TURNS_CSV_BYTES),
    showControlCharacters(csvPath),
  );
  let samples: HealthSamples | undefined;
  try {
    const raw = JSON.parse(
      await readTextFile(join(folder, "health-samples.json"), { maxBytes: MAX_SUMMARY_BYTES }),
    ) as HealthSamples & { frameLags: LagHistogramData & { fine: number[]; coarse: number[] } };
    samples = {
      ...raw,
      frameLags: {
        ...raw.frameLags,
        fine: Uint32Array.from(raw.frameLags.fine),
        coarse: Uint32Array.from(raw.frameLags.coarse),
      },
    };
  } catch {
    samples = undefined;
  }
  return { folder, summary, turns, extraColumns, samples };
}

/** A config as it must be equal across the shards of one test (the shard's own index left out). */
function testIdentity(config: RunConfig): string {
  return JSON.stringify({
    ...config,
    shard: config.shard ? { count: config.shard.count, testRunId: config.shard.testRunId } : null,
  });
}

/** What is different between two configs, for the refusal's message. */
function differences(a: RunConfig, b: RunConfig): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])] as (keyof RunConfig)[];
  return keys.filter((key) => key !== "shard" && JSON.stringify(a[key]) !== JSON.stringify(b[key])).join(
    ", ",
  ) || "shard";
}

/** What merging found, besides the merged run. */
export interface MergedRun {
  readonly result: RunResult;
  /** Why the merge may not be the whole test (missing shards). */
  readonly warnings: readonly string[];
}

/**
 * Merges the exports of the shards of one test (`voxbench run --shard i/n`) into the run they make
 * together: every turn of every shard (turns.csv row for row), the summary and verdicts computed
 * from all of them, the generator health from every shard's raw samples. Refuses, with the reason,
 * folders that are not shards, shards of different tests (another config, protocol or voxbench
 * version) and the same shard twice; missing shards are a warning.
 *
 * @throws {UsageError}
 * @example
 * ```ts
 * import { mergeShards } from "./merge.ts";
 * // const { result } = await mergeShards(["results/t-shard-0-of-2", "results/t-shard-1-of-2"]);
 * ```
 */
export async function mergeShards(folders: readonly string[], runId?: string): Promise<MergedRun> {
  if (folders.length === 0) throw new UsageError("voxbench merge needs the run folders of a test's shards");
  const shards = await Promise.all(folders.map(readRunFolder));
  const first = shards[0]!;
  for (const shard of shards) {
    const name = showControlCharacters(basename(shard.folder));
    const config = shard.summary.config;
    if (!config.shard) throw new UsageError(`${name} is not a shard (it was not run with --shard)`);
    if (shard.summary.tool.version !== first.summary.tool.version) {
      throw new UsageError(
        `${name} was made by voxbench ${shard.summary.tool.version}, ${
          basename(first.folder)
        } by ${first.summary.tool.version}: merge shards of one version`,
      );
    }
    if (testIdentity(config) !== testIdentity(first.summary.config)) {
      throw new UsageError(
        `${name} is a shard of another test than ${
          showControlCharacters(basename(first.folder))
        } (different: ${differences(config, first.summary.config)})`,
      );
    }
  }
  const count = first.summary.config.shard!.count;
  const indices = shards.map((shard) => shard.summary.config.shard!.index);
  const duplicate = indices.find((index, position) => indices.indexOf(index) !== position);
  if (duplicate !== undefined) throw new UsageError(`shard ${duplicate} of ${count} is given twice`);
  const warnings = Array.from({ length: count }, (_, index) => index)
    .filter((index) => !indices.includes(index))
    .map((index) => `shard ${index} of ${count} is missing: the merged run is not the whole test`);
  const turns = shards.flatMap((shard) => shard.turns).sort((a, b) =>
    a.client_id - b.client_id || a.turn_index - b.turn_index
  );
  const config: RunConfig = { ...first.summary.config, shard: null };
  const summary = summarizeRun(turns);
  const scenarioNames = Object.keys(config.timeoutsS);
  const thresholds = config.thresholds.map((expression) => parseThreshold(expression, scenarioNames));
  const allSamples = shards.every((shard) => shard.samples !== undefined);
  const merged: LoopHealth = allSamples
    ? judgeLoop(mergeSamples(shards.map((shard) => shard.samples!)), config.maxLagMs)
    : {
      valid: shards.every((shard) => shard.summary.health.valid),
      reasons: shards.flatMap((shard) => shard.summary.health.reasons),
      eventLoopLagMs: null,
      speechSendLagMs: null,
      sendOverheadMs: null,
      frameSendLagMs: null,
    };
  const late = turns.filter((turn) => turn.outcome === ("generator_lag" satisfies Outcome)).length;
  const reasons = [
    ...merged.reasons,
    ...shards.flatMap((shard) =>
      shard.summary.health.reasons.filter((reason) => reason.startsWith("internal error"))
    ),
    ...(late > 0
      ? [`${late} turn(s) failed for voxbench's own lateness (generator_lag), not the bot's`]
      : []),
  ];
  const health: GeneratorHealth & { shards: LoopHealth[] } = {
    ...merged,
    valid: reasons.length === 0 && shards.every((shard) => shard.summary.health.valid),
    reasons: [...new Set(reasons)],
    maxLagMs: config.maxLagMs,
    cpuSeconds: shards.reduce((sum, shard) => sum + shard.summary.health.cpuSeconds, 0),
    peakRssBytes: Math.max(...shards.map((shard) => shard.summary.health.peakRssBytes)),
    shards: shards.map((shard) => ({ worker: shard.summary.config.shard!.index, ...shard.summary.health })),
  };
  const counts: TurnCounts = {
    planned: config.concurrency * config.requests,
    started: turns.length,
    completed: turns.filter((turn) => turn.outcome !== "cancelled").length,
  };
  const startedAtMs = Math.min(...shards.map((shard) => Date.parse(shard.summary.startedAt)));
  const endedAtMs = Math.max(...shards.map((shard) => Date.parse(shard.summary.endedAt)));
  const result: RunResult = {
    schemaVersion: first.summary.schemaVersion,
    tool: first.summary.tool,
    runtime: first.summary.runtime,
    runId: runId ?? first.summary.config.shard!.testRunId,
    config,
    startedAt: new Date(startedAtMs).toISOString(),
    endedAt: new Date(endedAtMs).toISOString(),
    durationMs: endedAtMs - startedAtMs,
    interrupted: shards.some((shard) => shard.summary.interrupted) || warnings.length > 0,
    // Shards run the closed model only.
    calls: null,
    // Shards keep no raw window samples to merge exactly yet.
    timeline: null,
    turnCounts: counts,
    summary,
    health,
    verdicts: evaluateVerdicts(summary, config.targets ?? undefined, thresholds),
    turns,
    extraColumns: [...new Set(shards.flatMap((shard) => shard.extraColumns))],
  };
  return { result, warnings };
}
