/**
 * report.html: one self-contained page per run (no network: uPlot and the data are inlined),
 * built from what summary.json and turns.csv hold, so that a rebuilt page equals the first.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import type { RunResult } from "../../load/runner.ts";
import type { TurnRecord } from "../../metrics/turn-record.ts";
import type { Statistics } from "../../metrics/percentiles.ts";
import { PAGE_SCRIPT, PAGE_STYLE } from "./page-script.ts";

/** What the page is built from: summary.json's content and the turns (turns.csv's rows). */
export type ReportRun = Omit<RunResult, "turns" | "extraColumns" | "healthSamples">;

/** The turn columns the page carries (the charts' samples and the turn table's columns). */
const CARRIED_COLUMNS = [
  "client_id",
  "turn_index",
  "scenario",
  "outcome",
  "started_at",
  "audio_file",
  "ttft_ms",
  "total_ms",
  "heard_ms",
  "stop_ms",
  "recovery_ms",
  "resume_ms",
  "tool_ms",
  "reply_audio_ms",
  "longest_gap_ms",
  "session_id",
  "error",
] as const satisfies readonly (keyof TurnRecord)[];

/** The columns the turn table shows, in order. */
const TABLE_COLUMNS = [
  "client_id",
  "turn_index",
  "scenario",
  "outcome",
  "ttft_ms",
  "total_ms",
  "heard_ms",
  "stop_ms",
  "audio_file",
  "error",
] as const;

let uplotAssets: { readonly script: string; readonly style: string } | undefined;

/** uPlot's script and style, read once from its package. */
function uplot(): { readonly script: string; readonly style: string } {
  if (!uplotAssets) {
    const require = createRequire(import.meta.url);
    uplotAssets = {
      script: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
      style: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
    };
  }
  return uplotAssets;
}

/**
 * JSON that is safe inside a `<script>` element: no `<`, `>` or `&` (so no `</script>` or `<!--`
 * from the bot's text can end it), and no line separators that old parsers choke on.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Text that is safe in HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** How the run's load reads in the header. */
function describeLoad(run: ReportRun): string {
  const { config } = run;
  if (config.open) {
    return config.open.stages
      ? `calls arriving from ${config.open.arrivalRatePerS}/s through stages`
      : `calls arriving at ${config.open.arrivalRatePerS}/s for ${config.open.durationS} s`;
  }
  if (config.closedStages) return `up to ${config.concurrency} callers through stages`;
  if (config.durationS !== null && config.durationS !== undefined) {
    return `${config.concurrency} callers for ${config.durationS} s`;
  }
  return `${config.concurrency} callers x ${config.requests} turns`;
}

/** The figures at the top of the page, from summary.json's summary. */
function headline(run: ReportRun): { key: string; label: string; kind: string; value: number | null }[] {
  const { summary } = run;
  const stat = (metric: "ttft_ms" | "total_ms" | "stop_ms", key: keyof Statistics): number | null =>
    summary.metrics[metric]?.[key] ?? null;
  return [
    { key: "turns", label: "turns", kind: "count", value: summary.turns },
    { key: "success_rate", label: "success rate", kind: "rate", value: summary.successRate },
    { key: "ttft_p50", label: "time to first audio p50", kind: "ms", value: stat("ttft_ms", "median") },
    { key: "ttft_p95", label: "time to first audio p95", kind: "ms", value: stat("ttft_ms", "p95") },
    { key: "total_p95", label: "full reply p95", kind: "ms", value: stat("total_ms", "p95") },
    { key: "stop_p95", label: "stop after barge-in p95", kind: "ms", value: stat("stop_ms", "p95") },
  ];
}

/**
 * The whole page. Every number comes from `run` (summary.json) or `turns` (turns.csv); text from
 * the bot reaches the page only inside the JSON block and is shown as text.
 *
 * @example
 * ```ts
 * import { renderHtmlReport } from "./html-report.ts";
 * // const html = renderHtmlReport(result, result.turns);
 * ```
 */
export function renderHtmlReport(run: ReportRun, turns: readonly TurnRecord[]): string {
  const serverStages = Object.fromEntries(
    Object.entries(run.summary.metrics).filter(([name, stats]) => name.startsWith("server_") && stats),
  );
  const data = {
    header: {
      runId: run.runId,
      server: run.config.server,
      protocol: run.config.protocol,
      load: describeLoad(run),
      startedAt: run.startedAt,
      durationMs: run.durationMs,
      interrupted: run.interrupted,
      runtime: `${run.runtime.name} ${run.runtime.version}`,
      seed: run.config.seed,
    },
    verdictPassed: run.verdicts.every((verdict) => verdict.status !== "fail"),
    headline: headline(run),
    verdicts: run.verdicts,
    scenarios: run.summary.byScenario,
    timeline: run.timeline,
    health: run.health,
    serverStages,
    turns: {
      columns: CARRIED_COLUMNS,
      shown: TABLE_COLUMNS,
      rows: turns.map((turn) => CARRIED_COLUMNS.map((column) => turn[column])),
    },
  };
  return htmlPage(`voxbench ${run.runId}`, data, PAGE_STYLE, PAGE_SCRIPT);
}

/**
 * A self-contained page: uPlot and its style inlined, `data` in a JSON block (id "voxbench-data")
 * that `script` reads, and a strict content policy (no network, no plugins, no frames).
 */
export function htmlPage(title: string, data: unknown, style: string, script: string): string {
  const assets = uplot();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${assets.style}</style>
<style>${style}</style>
</head>
<body>
<main id="report"></main>
<script type="application/json" id="voxbench-data">${jsonForScript(data)}</script>
<script>${assets.script}</script>
<script>${script}</script>
</body>
</html>
`;
}
