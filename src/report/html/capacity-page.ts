/**
 * capacity.html in a capacity search's folder: each thresholded figure against the load, step by
 * step, with its limit drawn and the capacity marked, and the steps' table.
 */
import type { Verdict } from "../../metrics/verdicts.ts";
import { htmlPage } from "./html-report.ts";
import { PAGE_STYLE, pageScript } from "./page-script.ts";

/** What the page shows of one step. */
export interface CapacityPageStep {
  readonly load: number;
  readonly passed: boolean;
  readonly valid: boolean;
  readonly interrupted: boolean;
  readonly judgedTurns: number;
  readonly verdicts: readonly Verdict[];
}

const CAPACITY_SCRIPT = pageScript(`
  root.appendChild(el("h1", { text: "voxbench capacity " + data.id }));
  root.appendChild(el("div", { className: "meta", text: data.mode + " · each step held " + data.holdS + " s · " + data.startedAt }));
  root.appendChild(el("p", null, [status(data.capacity === null ? "fail" : "pass", data.conclusion)]));
  var steps = data.steps.slice().sort(function (a, b) { return a.load - b.load; });
  var loads = steps.map(function (step) { return step.load; });
  var curves = section("Thresholds against the load", "curves");
  data.thresholds.forEach(function (expression, index) {
    var measured = steps.map(function (step) { var v = step.verdicts[index]; return v && v.measured !== null ? v.measured : null; });
    var limit = steps.map(function (step) { var v = step.verdicts[index]; return v ? v.limit : null; });
    var knee = steps.map(function (step, i) { return step.load === data.capacity ? measured[i] : null; });
    chart(curves, "chart-threshold-" + index, expression + " per step (the dashed line is the limit; the marked point is the capacity)", {
      scales: { x: { time: false } },
      axes: [{ label: data.mode === "concurrency" ? "calls in progress" : "calls per second" }, {}],
      series: [{}, { label: "measured", stroke: "#0969da" }, { label: "limit", stroke: "#cf222e", dash: [6, 4], points: { show: false } },
        { label: "capacity", stroke: "transparent", points: { show: true, size: 14, fill: "#1a7f37", stroke: "#1a7f37" } }],
    }, [loads, measured, limit, knee]);
  });
  var stepTable = section("Steps", "steps");
  stepTable.appendChild(table(["step", "load", "judged turns"].concat(data.thresholds).concat(["verdict"]),
    data.steps.map(function (step, index) {
      return [index + 1, step.load, step.judgedTurns].concat(step.verdicts.map(function (v) {
        return v.measured === null ? "-" : String(Math.round(v.measured * 1000) / 1000);
      })).concat([status(step.interrupted ? "warn" : !step.valid ? "fail" : step.passed ? "pass" : "fail",
        step.interrupted ? "stopped" : !step.valid ? "NOT VALID" : step.passed ? "pass" : "fail")]);
    }), { id: "step-table" }));
  document.body.setAttribute("data-rendered", "true");
`);

/**
 * The capacity curve page, from what capacity.json holds.
 *
 * @example
 * ```ts
 * import { renderCapacityPage } from "./capacity-page.ts";
 * // await writeFile("capacity.html", renderCapacityPage({ ... }));
 * ```
 */
export function renderCapacityPage(page: {
  readonly id: string;
  readonly mode: string;
  readonly holdS: number;
  readonly startedAt: string;
  readonly thresholds: readonly string[];
  readonly capacity: number | null;
  readonly conclusion: string;
  readonly steps: readonly CapacityPageStep[];
}): string {
  const steps = page.steps.map(({ load, passed, valid, interrupted, judgedTurns, verdicts }) => ({
    load,
    passed,
    valid,
    interrupted,
    judgedTurns,
    verdicts: verdicts.map(({ expression, measured, limit, status }) => ({
      expression,
      measured,
      limit,
      status,
    })),
  }));
  return htmlPage(`voxbench ${page.id}`, { ...page, steps }, PAGE_STYLE, CAPACITY_SCRIPT);
}
