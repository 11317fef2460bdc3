/**
 * compare.html (`voxbench compare A B --html FILE`): the two runs' distributions overlaid, metric by
 * metric, and the comparison table with each change's significance and verdict.
 */
import type { ComparedRun, Comparison } from "../compare.ts";
import { htmlPage } from "./html-report.ts";
import { PAGE_STYLE, pageScript } from "./page-script.ts";

const COMPARE_SCRIPT = pageScript(`
  root.appendChild(el("h1", { text: "voxbench compare" }));
  root.appendChild(el("div", { className: "meta", text: "baseline " + data.comparison.baseline.runId + " (" +
    data.comparison.baseline.turns + " turns) · candidate " + data.comparison.candidate.runId + " (" +
    data.comparison.candidate.turns + " turns) · a regression is worse by more than " +
    data.comparison.maxRegressionPercent + "% and significant at " + data.comparison.alpha }));
  var regressions = data.comparison.regressions;
  root.appendChild(el("p", null, [status(regressions > 0 ? "fail" : "pass",
    regressions > 0 ? regressions + " regression(s)" : "no regression")]));
  data.comparison.warnings.forEach(function (warning) { root.appendChild(el("p", { className: "note", text: "warning: " + warning })); });
  var rowsSection = section("Comparison", "comparison");
  rowsSection.appendChild(table(["metric", "stat", "baseline", "candidate", "change", "p", "test", "verdict"],
    data.comparison.rows.map(function (row) {
      var rate = row.metric === "success_rate";
      function value(v) { return rate ? pct(v) : ms(v); }
      return [row.metric, row.stat, value(row.baseline), value(row.candidate),
        row.changePercent === null ? "-" : (row.changePercent > 0 ? "+" : "") + row.changePercent.toFixed(1) + "%",
        row.p.toPrecision(3), row.test, status(row.regression ? "fail" : "pass", row.regression ? "regression" : "ok")];
    }), { id: "comparison-table" }));
  var distributions = section("Distributions", "distributions");
  data.metrics.forEach(function (metric) {
    percentileChart(distributions, "chart-" + metric, metric + " by percentile: baseline against candidate", [
      { label: "baseline", values: data.baseline[metric] || [] },
      { label: "candidate", values: data.candidate[metric] || [] },
    ]);
  });
  document.body.setAttribute("data-rendered", "true");
`);

/**
 * The comparison page: every number from the two runs' files (their per-turn samples) and the
 * comparison computed from them.
 *
 * @example
 * ```ts
 * import { renderComparePage } from "./compare-page.ts";
 * // const html = renderComparePage(compareRuns(a, b, 10, 0.01), a, b);
 * ```
 */
export function renderComparePage(
  comparison: Comparison,
  baseline: ComparedRun,
  candidate: ComparedRun,
): string {
  const metrics = [...new Set([...baseline.samples.keys(), ...candidate.samples.keys()])].filter((metric) =>
    (baseline.samples.get(metric)?.length ?? 0) + (candidate.samples.get(metric)?.length ?? 0) > 0
  );
  const samplesOf = (run: ComparedRun): Record<string, readonly number[]> =>
    Object.fromEntries(metrics.map((metric) => [metric, run.samples.get(metric) ?? []]));
  return htmlPage(
    `voxbench compare ${baseline.runId} ${candidate.runId}`,
    { comparison, metrics, baseline: samplesOf(baseline), candidate: samplesOf(candidate) },
    PAGE_STYLE,
    COMPARE_SCRIPT,
  );
}
