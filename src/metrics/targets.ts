import type { RunSummary } from "./summary.ts";
import { evaluateRule, type Rule, type Verdict } from "./verdicts.ts";

/** The old guide's target sets. */
export type TargetSet = "low-load" | "under-load";

export const TARGET_SETS: readonly TargetSet[] = ["low-load", "under-load"];

/** A latency target passing but within this fraction of its limit is reported as "warn". */
export const TARGET_WARN_MARGIN = 0.1;

type NamedRule = { readonly name: string; readonly rule: Rule };

const rule = (
  name: string,
  expression: string,
  value: Rule["value"],
  stat: Rule["stat"],
  comparison: Rule["comparison"],
  limit: number,
): NamedRule => ({
  name,
  rule: { expression, value, ...(stat ? { stat } : {}), comparison, limit },
});

/**
 * The guide's "Recommended Targets (Low Load, 1-10 concurrent)" and "Acceptable Under Load (>20
 * concurrent)". The guide's "Connection Time < 100ms" is checked on the connection time's p95.
 */
export const TARGETS: Readonly<Record<TargetSet, readonly NamedRule[]>> = {
  "low-load": [
    rule("TTFT mean", "ttft.mean<1500", "ttft_ms", "mean", "<", 1500),
    rule("TTFT P95", "ttft.p95<2500", "ttft_ms", "p95", "<", 2500),
    rule("Total response mean", "total.mean<5000", "total_ms", "mean", "<", 5000),
    rule("Connection time P95", "connect.p95<100", "connect_ms", "p95", "<", 100),
    rule("Success rate", "success_rate>0.99", "success_rate", undefined, ">", 0.99),
  ],
  "under-load": [
    rule("TTFT mean", "ttft.mean<2500", "ttft_ms", "mean", "<", 2500),
    rule("TTFT P95", "ttft.p95<4000", "ttft_ms", "p95", "<", 4000),
    rule("Total response mean", "total.mean<8000", "total_ms", "mean", "<", 8000),
    rule("Success rate", "success_rate>0.95", "success_rate", undefined, ">", 0.95),
  ],
};

/** The guide's "Performance Issues (Action Required)", evaluated on every run. */
export const ALARMS: readonly NamedRule[] = [
  rule("TTFT mean (alarm: > 3 s)", "ttft.mean<=3000", "ttft_ms", "mean", "<=", 3000),
  rule("TTFT P99 (alarm: > 5 s)", "ttft.p99<=5000", "ttft_ms", "p99", "<=", 5000),
  rule("Success rate (alarm: < 90%)", "success_rate>=0.9", "success_rate", undefined, ">=", 0.9),
];

/**
 * Every verdict of a run: the chosen target set (pass / warn near the limit / fail), the
 * always-on alarms, then the user's thresholds (pass / fail).
 *
 * @example
 * ```ts
 * import { evaluateVerdicts } from "./targets.ts";
 * import { summarizeRun } from "./summary.ts";
 * const verdicts = evaluateVerdicts(summarizeRun([]), undefined, []);
 * console.log(verdicts.length); // 3 alarms
 * ```
 */
export function evaluateVerdicts(
  summary: RunSummary,
  targets: TargetSet | undefined,
  thresholds: readonly Rule[],
): Verdict[] {
  const verdicts: Verdict[] = [];
  if (targets) {
    for (const { name, rule } of TARGETS[targets]) {
      verdicts.push(evaluateRule(rule, summary, "target", `${name} (${targets})`, TARGET_WARN_MARGIN));
    }
  }
  for (const { name, rule } of ALARMS) {
    const verdict = evaluateRule(rule, summary, "alarm", name);
    // With no TTFT samples at all, the success-rate alarm already tells the story.
    verdicts.push(
      verdict.measured === null && rule.value !== "success_rate" ? { ...verdict, status: "warn" } : verdict,
    );
  }
  for (const rule of thresholds) verdicts.push(evaluateRule(rule, summary, "threshold", rule.expression));
  return verdicts;
}

/** True when any verdict failed (exit code 1). */
export function anyFailed(verdicts: readonly Verdict[]): boolean {
  return verdicts.some((verdict) => verdict.status === "fail");
}
