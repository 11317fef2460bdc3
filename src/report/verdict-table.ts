import type { Verdict } from "../metrics/verdicts.ts";

const ICON = { pass: "✅ pass", warn: "⚠️  warn", fail: "❌ fail" } as const;

function format(value: number | null, expression: string): string {
  if (value === null) return "-";
  const isRate = /success_rate|error_rate/.test(expression);
  if (isRate) return `${(value * 100).toFixed(1)}%`;
  if (/(^|\.)(turns|failed|stale_chunks|underruns)\b|\.count\b/.test(expression)) return String(value);
  return `${value.toFixed(1)} ms`;
}

/**
 * The verdict table that ends the report: one row per target, alarm and threshold, with the
 * measured value, the limit and pass / warn / fail.
 *
 * @example
 * ```ts
 * import { formatVerdicts } from "./verdict-table.ts";
 * console.log(formatVerdicts([]).includes("VERDICTS")); // true
 * ```
 */
export function formatVerdicts(verdicts: readonly Verdict[]): string {
  const rows = verdicts.map((verdict) => [
    verdict.source,
    verdict.name,
    format(verdict.measured, verdict.expression),
    `${verdict.comparison} ${format(verdict.limit, verdict.expression)}`,
    `${ICON[verdict.status]}${verdict.note ? ` (${verdict.note})` : ""}`,
  ]);
  const header = ["source", "check", "measured", "limit", "verdict"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length))
  );
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ")}`.trimEnd();
  const failed = verdicts.filter((verdict) => verdict.status === "fail").length;
  const summary = failed === 0
    ? "  All checks passed."
    : `  ${failed} check${failed === 1 ? "" : "s"} failed: exit code 1.`;
  return ["🎯 VERDICTS", line(header), ...rows.map(line), summary].join("\n");
}
