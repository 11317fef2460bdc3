/**
 * The flags of `voxbench capacity` beyond the run flags: what to step, how, and when to stop. One
 * table for the command line, the config file's keys and the docs.
 */
import { UsageError } from "../common/errors.ts";
import {
  parseChoice,
  parseDurationOrZeroS,
  parseDurationS,
  parsePositiveInteger,
  parsePositiveNumber,
  type RawValue,
} from "../config/parse-values.ts";
import { MAX_CONCURRENCY, type RunOptions } from "../load/options.ts";
import type { SearchPlan } from "../capacity/search.ts";
import type { CapacityMode, StepSettings } from "../capacity/step.ts";
import type { FlagSpec } from "./flag-spec.ts";

/** The longest time budget a timer can hold (setTimeout's limit), seconds. */
const MAX_TIMER_S = 24 * 86_400;

export const CAPACITY_FLAGS: readonly FlagSpec[] = [
  {
    name: "--mode <mode>",
    description:
      "What to step up: concurrency (calls in progress, the closed model; default) or arrival (calls a second, the open model)",
  },
  { name: "--start <load>", description: "The first step's load (default: --step)" },
  { name: "--step <load>", description: "How much each step adds (default 10 calls, or 1 call/s)" },
  { name: "--hold <time>", description: "How long each step holds its load (default 30s)" },
  {
    name: "--warmup <time>",
    description: "Turns begun this early in a step are not judged: the load settling (default 5s)",
  },
  {
    name: "--max-load <load>",
    description: "Never step above this load (default 1000 calls, or 100 calls/s)",
  },
  {
    name: "--max-duration <time>",
    description: "Stop the search after this long, a step cut short unjudged (default 30m)",
  },
  {
    name: "--resolution <load>",
    description: "Bisect until the passing and failing loads are this close (default: a quarter of --step)",
  },
];

/** The camel-cased keys of the capacity flags (as cac hands them over, and in a config file). */
export const CAPACITY_FLAG_KEYS: readonly string[] = CAPACITY_FLAGS.map((flag) =>
  flag.name.split(" ")[0]!.replace(/^--/, "").replace(
    /-([a-z])/g,
    (_, letter: string) => letter.toUpperCase(),
  )
);

/** A capacity search's settings, checked. */
export interface CapacitySettings {
  readonly plan: SearchPlan;
  readonly step: StepSettings;
  readonly maxDurationS: number;
}

/**
 * Reads the capacity flags (the run flags are read apart), and refuses what the search decides
 * itself or cannot do without: the load flags, and thresholds.
 */
export function parseCapacityFlags(raw: Record<string, RawValue>, options: RunOptions): CapacitySettings {
  const has = (key: string): boolean => raw[key] !== undefined;
  const LOAD = "capacity sets the load itself (use --mode, --start, --step, --hold and --max-load)";
  const refused: readonly (readonly [string, string, string])[] = [
    ["concurrency", "--concurrency", LOAD],
    ["arrivalRate", "--arrival-rate", LOAD],
    ["duration", "--duration", LOAD],
    ["stages", "--stages", LOAD],
    ["shard", "--shard", LOAD],
    [
      "requests",
      "--requests",
      "each step holds its load for --hold, and a cap on a caller's turns would let it fall",
    ],
    ["runId", "--run-id", "each step is a run of its own, named by the search"],
  ];
  for (const [key, flag, reason] of refused) {
    if (has(key)) throw new UsageError(`capacity: drop ${flag}: ${reason}`);
  }
  if ((options.thresholds ?? []).length === 0) {
    throw new UsageError(
      "capacity needs at least one --threshold that a step must meet, e.g. --threshold 'ttft.p95<1000'",
    );
  }
  const mode: CapacityMode = has("mode")
    ? parseChoice("--mode", raw.mode, ["concurrency", "arrival"] as const)
    : "concurrency";
  const wholeLoads = mode === "concurrency";
  const load = (name: string, key: string, fallback: number): number => {
    if (!has(key)) return fallback;
    return wholeLoads ? parsePositiveInteger(name, raw[key]!) : parsePositiveNumber(name, raw[key]!);
  };
  const stepLoad = load("--step", "step", wholeLoads ? 10 : 1);
  const startLoad = load("--start", "start", stepLoad);
  const maxLoad = load("--max-load", "maxLoad", wholeLoads ? 1000 : 100);
  if (wholeLoads && maxLoad > MAX_CONCURRENCY) {
    throw new UsageError(
      `--max-load ${maxLoad} is more calls than one process can drive (at most ${MAX_CONCURRENCY})`,
    );
  }
  if (startLoad > maxLoad) {
    throw new UsageError(
      `the first step's load (--start, default --step) ${startLoad} is above --max-load ${maxLoad}`,
    );
  }
  const resolution = load(
    "--resolution",
    "resolution",
    wholeLoads ? Math.max(1, Math.round(stepLoad / 4)) : stepLoad / 4,
  );
  const holdS = has("hold") ? parseDurationS("--hold", raw.hold!) : 30;
  // No warm-up at all (0) is a choice: every turn of the step is judged.
  const warmupS = has("warmup") ? parseDurationOrZeroS("--warmup", raw.warmup!) : Math.min(5, holdS / 2);
  if (warmupS >= holdS) {
    throw new UsageError(
      `--warmup (${warmupS} s) must be shorter than --hold (${holdS} s): nothing would be judged`,
    );
  }
  const maxDurationS = has("maxDuration") ? parseDurationS("--max-duration", raw.maxDuration!) : 30 * 60;
  if (maxDurationS <= holdS) {
    throw new UsageError(
      `--max-duration (${maxDurationS} s) must be longer than --hold (${holdS} s): no step would fit`,
    );
  }
  if (maxDurationS > MAX_TIMER_S) {
    throw new UsageError(
      `--max-duration must be at most ${MAX_TIMER_S / 86_400} days (got ${maxDurationS} s)`,
    );
  }
  const rampUpS = options.rampUpS ?? 0;
  if (rampUpS > warmupS) {
    throw new UsageError(
      `--ramp-up (${rampUpS} s) must not be longer than --warmup (${warmupS} s): judged turns would run before the whole load had started`,
    );
  }
  return {
    plan: { startLoad, stepLoad, maxLoad, resolution, wholeLoads },
    step: { mode, holdS, warmupS },
    maxDurationS,
  };
}
