import { UsageError } from "../common/errors.ts";
import type { Statistics } from "./percentiles.ts";
import { type RunSummary, SUMMARY_METRICS, type SummaryMetric, type TurnSetSummary } from "./summary.ts";

/**
 * Pass/fail rules over a run's summary: the old guide's two target sets, its always-on
 * "Performance Issues" alarms, and k6-like thresholds such as `ttft.p95<2500`,
 * `success_rate>0.99` or `interruption.stop.p95<500`.
 */

export type Comparison = "<" | "<=" | ">" | ">=" | "==" | "!=";
export type RuleStat = keyof Statistics;

/** One rule: a value of the run (or of one scenario) compared with a limit. */
export interface Rule {
  /** As written, e.g. "tool_call.ttft.p99<8000". */
  readonly expression: string;
  /** Restricts the rule to one scenario's turns. */
  readonly scenario?: string;
  /** A summary metric (e.g. "ttft_ms") or a rate/count: success_rate, error_rate, turns, failed. */
  readonly value: SummaryMetric | "success_rate" | "error_rate" | "turns" | "failed" | "dropped_calls";
  /** The statistic, for metrics. */
  readonly stat?: RuleStat;
  readonly comparison: Comparison;
  readonly limit: number;
}

export type VerdictStatus = "pass" | "warn" | "fail";

/** The result of one rule. */
export interface Verdict {
  readonly source: "target" | "alarm" | "threshold";
  /** What the rule checks, for people: "TTFT mean", or the threshold expression. */
  readonly name: string;
  readonly expression: string;
  readonly measured: number | null;
  readonly limit: number;
  readonly comparison: Comparison;
  readonly status: VerdictStatus;
  /** Why it failed or warned, when that is not obvious from the numbers. */
  readonly note?: string;
}

const STATS: readonly RuleStat[] = ["count", "min", "mean", "median", "p95", "p99", "max"];
const STAT_ALIASES: Readonly<Record<string, RuleStat>> = { avg: "mean", p50: "median", med: "median" };
const RATES = ["success_rate", "error_rate", "turns", "failed", "dropped_calls"] as const;

/** Short metric names users write (`ttft`), mapped to summary metrics (`ttft_ms`). */
const METRIC_NAMES: ReadonlyMap<string, SummaryMetric> = new Map(
  SUMMARY_METRICS.flatMap((metric) => [
    [metric, metric],
    [metric.replace(/_ms$/, ""), metric],
  ]),
);

function closest(word: string, candidates: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
      }
    }
    return row[b.length]!;
  };
  const best =
    candidates.map((candidate) => ({ candidate, score: distance(word, candidate) })).sort((x, y) =>
      x.score - y.score
    )[0];
  return best && best.score <= 2 ? best.candidate : undefined;
}

function unknown(kind: string, word: string, known: readonly string[], expression: string): UsageError {
  const hint = closest(word, known);
  return new UsageError(
    `--threshold "${expression}": unknown ${kind} "${word}"${
      hint ? ` (did you mean "${hint}"?)` : ""
    }; known: ${known.join(", ")}`,
  );
}

/**
 * Parses a threshold expression: `[scenario.]metric.stat OP number[ms|s]`, or
 * `[scenario.]success_rate|error_rate|turns|failed OP number`, or `dropped_calls OP number`. OP is <, <=, >, >=, == or !=.
 *
 * @throws {UsageError} saying what is wrong.
 * @example
 * ```ts
 * import { parseThreshold } from "./verdicts.ts";
 * console.log(parseThreshold("interruption.stop.p95<500", ["interruption"]));
 * // { expression: "interruption.stop.p95<500", scenario: "interruption", value: "stop_ms", stat: "p95", comparison: "<", limit: 500 }
 * ```
 */
export function parseThreshold(expression: string, scenarios: readonly string[]): Rule {
  const text = expression.trim();
  const match = /^([A-Za-z0-9_.]+)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*(ms|s|%)?$/.exec(text);
  if (!match) {
    throw new UsageError(
      `--threshold "${expression}" must look like ttft.p95<2500, success_rate>0.99 or interruption.stop.p95<500`,
    );
  }
  const [, path, comparison, number, unit] = match as unknown as [
    string,
    string,
    Comparison,
    string,
    string | undefined,
  ];
  const parts = path.split(".");
  let scenario: string | undefined;
  const first = parts[0]!;
  const isValueName = METRIC_NAMES.has(first) || (RATES as readonly string[]).includes(first);
  if (!isValueName && (scenarios.includes(first) || parts.length === 3)) {
    scenario = parts.shift();
    if (!scenarios.includes(scenario!)) throw unknown("scenario", scenario!, scenarios, expression);
  }
  let limit = Number(number);
  if (unit === "s") limit *= 1000;
  if (unit === "%") limit /= 100;
  const [name, statWord, ...rest] = parts as [string, string | undefined, ...string[]];
  if (rest.length > 0) {
    throw new UsageError(`--threshold "${expression}": too many parts before the comparison`);
  }
  if ((RATES as readonly string[]).includes(name)) {
    if (statWord !== undefined) {
      throw new UsageError(`--threshold "${expression}": ${name} takes no statistic`);
    }
    if (unit === "ms" || unit === "s") {
      throw new UsageError(`--threshold "${expression}": ${name} is not a duration`);
    }
    if ((name === "success_rate" || name === "error_rate") && (limit < 0 || limit > 1)) {
      throw new UsageError(
        `--threshold "${expression}": ${name} is a fraction from 0 to 1 (or 0% to 100%), so ${number}${
          unit ?? ""
        } can never be reached`,
      );
    }
    checkNotNegative(expression, name, limit);
    return {
      expression: text,
      ...(scenario ? { scenario } : {}),
      value: name as Rule["value"],
      comparison,
      limit,
    };
  }
  const metric = METRIC_NAMES.get(name);
  if (!metric) {
    throw unknown("metric", name, [
      ...new Set([...METRIC_NAMES.keys()].filter((key) => !key.endsWith("_ms"))),
      ...RATES,
    ], expression);
  }
  if (statWord === undefined) {
    throw new UsageError(`--threshold "${expression}": say which statistic of ${name}: ${STATS.join(", ")}`);
  }
  const stat = STAT_ALIASES[statWord] ??
    (STATS.includes(statWord as RuleStat) ? (statWord as RuleStat) : undefined);
  if (!stat) throw unknown("statistic", statWord, STATS, expression);
  if (unit === "%") throw new UsageError(`--threshold "${expression}": % applies to rates only`);
  checkNotNegative(expression, name, limit);
  return { expression: text, ...(scenario ? { scenario } : {}), value: metric, stat, comparison, limit };
}

/** Durations, counts and rates are never negative: a negative limit makes a rule that cannot mean anything. */
function checkNotNegative(expression: string, name: string, limit: number): void {
  if (limit < 0) {
    throw new UsageError(
      `--threshold "${expression}": ${name} is never negative, so a limit of ${limit} cannot be meant`,
    );
  }
}

function compare(measured: number, comparison: Comparison, limit: number): boolean {
  switch (comparison) {
    case "<":
      return measured < limit;
    case "<=":
      return measured <= limit;
    case ">":
      return measured > limit;
    case ">=":
      return measured >= limit;
    case "==":
      return measured === limit;
    case "!=":
      return measured !== limit;
  }
}

/** The value a rule looks at, or null when there is nothing to measure. */
export function measure(rule: Rule, summary: RunSummary): { value: number | null; note?: string } {
  let set: TurnSetSummary | undefined = summary;
  if (rule.scenario) {
    set = summary.byScenario[rule.scenario];
    if (!set) return { value: null, note: `no ${rule.scenario} turns in this run` };
  }
  switch (rule.value) {
    case "success_rate":
      return set.turns === 0 ? { value: null, note: "no turns" } : { value: set.successRate };
    case "error_rate":
      return set.turns === 0 ? { value: null, note: "no turns" } : { value: 1 - set.successRate };
    case "turns":
      return { value: set.turns };
    case "failed":
      return { value: set.failed };
    case "dropped_calls":
      // Calls are the whole run's (a closed model drops none).
      return rule.scenario
        ? { value: null, note: "dropped_calls is for the whole run" }
        : { value: summary.droppedCalls ?? 0 };
  }
  const stats = set.metrics[rule.value];
  if (!stats) return { value: null, note: `no ${rule.value} samples` };
  return { value: stats[rule.stat ?? "mean"] };
}

/** Evaluates one rule. A warn margin turns a pass within that fraction of an upper limit into "warn". */
export function evaluateRule(
  rule: Rule,
  summary: RunSummary,
  source: Verdict["source"],
  name: string,
  warnMargin = 0,
): Verdict {
  const { value, note } = measure(rule, summary);
  const base = {
    source,
    name,
    expression: rule.expression,
    measured: value,
    limit: rule.limit,
    comparison: rule.comparison,
  };
  if (value === null) return { ...base, status: "fail", note: note ?? "nothing measured" };
  if (!compare(value, rule.comparison, rule.limit)) return { ...base, status: "fail" };
  // Only upper limits (latencies) warn: for rates near 1, "within 10%" would mean nothing.
  const nearLimit = warnMargin > 0 && rule.comparison.startsWith("<") &&
    value > rule.limit * (1 - warnMargin);
  return nearLimit
    ? { ...base, status: "warn", note: `within ${Math.round(warnMargin * 100)}% of the limit` }
    : { ...base, status: "pass" };
}
