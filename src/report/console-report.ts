import type { Statistics } from "../metrics/percentiles.ts";
import { failureSide, type Outcome, OUTCOMES } from "../metrics/outcomes.ts";
import type { SummaryMetric, TurnSetSummary } from "../metrics/summary.ts";
import type { RunResult } from "../load/runner.ts";
import { sanitizeForTerminal } from "./sanitize.ts";
import { formatVerdicts } from "./verdict-table.ts";

const RULE = "=".repeat(80);

function statLines(stats: Statistics | null, indent = "     "): string[] {
  if (!stats) return [`${indent}(no samples)`];
  const row = (label: string, value: number): string =>
    `${indent}${label.padEnd(8)}${`${value.toFixed(1)}ms`.padStart(10)}  (${(value / 1000).toFixed(3)}s)`;
  return [
    row("Min:", stats.min),
    row("Mean:", stats.mean),
    row("Median:", stats.median),
    row("P95:", stats.p95),
    row("P99:", stats.p99),
    row("Max:", stats.max),
  ];
}

function percent(part: number, whole: number): string {
  return whole === 0 ? "0.0%" : `${((part / whole) * 100).toFixed(1)}%`;
}

function ms(stats: Statistics | null | undefined, key: keyof Statistics): string {
  return stats ? `${stats[key].toFixed(0)}` : "-";
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length))
  );
  const line = (cells: readonly string[]): string =>
    `  ${
      cells.map((
        cell,
        column,
      ) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ")
    }`;
  return [line(header), ...rows.map(line)];
}

function metricRows(sets: readonly [string, TurnSetSummary][], metric: SummaryMetric): string[][] {
  return sets
    .filter(([, set]) => set.metrics[metric])
    .map(([name, set]) => {
      const stats = set.metrics[metric]!;
      return [
        name,
        String(stats.count),
        ms(stats, "min"),
        ms(stats, "median"),
        ms(stats, "p95"),
        ms(stats, "p99"),
        ms(stats, "max"),
      ];
    });
}

/**
 * The console report: load_test.py's layout (SUMMARY, REQUEST TYPES, AUDIO FILES USED,
 * CONNECTION LATENCY, TIME TO FIRST TOKEN, TOTAL RESPONSE TIME), then voxbench's sections.
 *
 * @example
 * ```ts
 * import { formatConsoleReport } from "./console-report.ts";
 * // const text = formatConsoleReport(await run({ ... }));
 * ```
 */
export function formatConsoleReport(result: RunResult): string {
  const { summary, health } = result;
  const lines: string[] = [];
  lines.push("", RULE, "🎯 LOAD TEST PERFORMANCE REPORT", RULE, "");
  const counts = result.turnCounts;
  if (result.interrupted) {
    lines.push(
      `⚠️  PARTIAL RESULTS: the run was interrupted; ${
        counts.started - counts.completed
      } turn(s) in flight are marked cancelled, ${counts.planned - counts.started} never started`,
      "",
    );
  }
  lines.push("📊 SUMMARY");
  lines.push(`  Planned / Started / Completed: ${counts.planned} / ${counts.started} / ${counts.completed}`);
  lines.push(`  Total Requests:      ${summary.turns}`);
  lines.push(`  ✅ Successful:       ${summary.ok} (${percent(summary.ok, summary.turns)})`);
  lines.push(`  ❌ Failed:           ${summary.failed}`);
  lines.push(`  🔌 Connection Errors: ${summary.connectionErrors}`);
  const open = result.config.open;
  if (open && result.calls) {
    lines.push(
      `  📞 Calls:            ${result.calls.started} started, ${result.calls.dropped} dropped at --max-calls ${open.maxCalls} (${open.arrivals} arrivals ${
        open.stages
          ? `from ${open.arrivalRatePerS}/s through stages ${
            open.stages.map((stage) => `${stage.durationS}s:${stage.target}`).join(",")
          }`
          : `at ${open.arrivalRatePerS}/s for ${open.durationS} s`
      })`,
    );
  }
  const closedStages = result.config.closedStages;
  if (closedStages) {
    lines.push(
      `  👥 Callers:          from ${closedStages.from} through stages ${
        closedStages.stages.map((stage) => `${stage.durationS}s:${stage.target}`).join(",")
      } (at most ${result.config.concurrency} at once)`,
    );
  }
  lines.push("");
  lines.push("📋 REQUEST TYPES");
  for (const [name, set] of Object.entries(summary.byScenario)) lines.push(`  ${name}: ${set.turns}`);
  lines.push("");
  lines.push("🎵 AUDIO FILES USED");
  const files = Object.entries(summary.audioFiles);
  if (files.length === 0) lines.push("  (none)");
  for (const [file, count] of files) lines.push(`  ${file}: ${count}`);
  lines.push("");
  lines.push("🔌 CONNECTION LATENCY", ...statLines(summary.metrics.connect_ms), "");
  // The seed's wording for its own protocol; on a stream the caller's end of speech is a frame, not a message.
  const endOfSpeech = result.config.protocol === "speech-events"
    ? "speech_end"
    : "the caller's end of speech (its last speech frame sent)";
  lines.push(
    "⚡ TIME TO FIRST TOKEN (TTFT)",
    `   📍 Definition: Time from ${endOfSpeech} → first audio chunk received`,
    ...statLines(summary.metrics.ttft_ms),
    "",
  );
  lines.push(
    "🏁 TOTAL RESPONSE TIME",
    `   📍 Definition: Time from ${endOfSpeech} → response fully delivered`,
    ...statLines(summary.metrics.total_ms),
    "",
  );
  lines.push(RULE, "");

  const scenarios = Object.entries(summary.byScenario);
  lines.push("📑 PER SCENARIO (ms)");
  lines.push(
    ...table(
      ["scenario", "turns", "ok", "failed", "success", "ttft p50", "ttft p95", "total p50", "total p95"],
      scenarios.map(([name, set]) => [
        name,
        String(set.turns),
        String(set.ok),
        String(set.failed),
        percent(set.ok, set.turns),
        ms(set.metrics.ttft_ms, "median"),
        ms(set.metrics.ttft_ms, "p95"),
        ms(set.metrics.total_ms, "median"),
        ms(set.metrics.total_ms, "p95"),
      ]),
    ),
    "",
  );

  const failures = Object.entries(summary.outcomes).filter(([outcome]) => outcome !== "ok");
  if (failures.length > 0) {
    lines.push("❗ FAILURES");
    for (const [outcome, count] of failures) {
      const example = result.turns.find((turn) => turn.outcome === outcome)?.error;
      const side = failureSide(outcome as Outcome);
      lines.push(
        `  ${outcome}: ${count}  [${side === "voxbench" ? "voxbench's own, not the bot's" : side}]  (${
          OUTCOMES[outcome as Outcome]
        })`,
      );
      if (example) lines.push(`     e.g. ${sanitizeForTerminal(example).slice(0, 160)}`);
    }
    lines.push("");
  }

  const interruption = summary.byScenario.interruption;
  if (interruption) {
    const staleTotal = result.turns.filter((turn) => turn.scenario === "interruption").reduce(
      (sum, turn) => sum + (turn.stale_chunks ?? 0),
      0,
    );
    lines.push("🚨 INTERRUPTIONS (ms)");
    lines.push(
      ...table(["metric", "count", "min", "p50", "p95", "p99", "max"], [
        ...metricRows([["stop_ms", interruption]], "stop_ms"),
        ...metricRows([["recovery_ms", interruption]], "recovery_ms"),
        ...metricRows([["recovery_total_ms", interruption]], "recovery_total_ms"),
      ]),
    );
    lines.push(
      `  stale chunks after the stop: ${staleTotal}   not talking at the interruption point: ${
        interruption.outcomes.not_talking ?? 0
      }   no stop: ${interruption.outcomes.no_stop ?? 0}`,
      "",
    );
  }
  const falseAlarm = summary.byScenario.false_alarm;
  if (falseAlarm) {
    lines.push("🎭 FALSE ALARMS (ms)");
    lines.push(
      ...table(
        ["metric", "count", "min", "p50", "p95", "p99", "max"],
        metricRows([["resume_ms", falseAlarm]], "resume_ms"),
      ),
    );
    lines.push(
      `  resumed: ${falseAlarm.metrics.resume_ms?.count ?? 0}   spurious replies: ${
        falseAlarm.outcomes.spurious_reply ?? 0
      }   never resumed: ${falseAlarm.outcomes.no_resume ?? 0}`,
      "",
    );
  }

  lines.push("🔊 AUDIO QUALITY (ms)");
  lines.push(
    ...table(
      ["metric", "count", "min", "p50", "p95", "p99", "max"],
      [
        ...metricRows([["heard_ms", summary]], "heard_ms"),
        ...metricRows([["reply_audio_ms", summary]], "reply_audio_ms"),
        ...metricRows([["underrun_ms", summary]], "underrun_ms"),
        ...metricRows([["longest_gap_ms", summary]], "longest_gap_ms"),
      ],
    ),
  );
  const withUnderruns = result.turns.filter((turn) => (turn.underruns ?? 0) > 0).length;
  lines.push(
    `  turns with underruns: ${withUnderruns} of ${summary.metrics.underruns?.count ?? 0} measured`,
    "",
  );

  const serverMetrics: [string, SummaryMetric][] = [
    ["stt_ms", "server_stt_ms"],
    ["queue_ms", "server_queue_ms"],
    ["llm_ttft_ms", "server_llm_ttft_ms"],
    ["tool_ms", "server_tool_ms"],
    ["tts_ttfb_ms", "server_tts_ttfb_ms"],
  ];
  const reported = serverMetrics.filter(([, metric]) => summary.metrics[metric]);
  if (reported.length > 0 || summary.metrics.tool_ms) {
    lines.push("🧮 SERVER-REPORTED TIMINGS (ms)");
    lines.push(
      ...table(
        ["metric", "count", "min", "p50", "p95", "p99", "max"],
        [
          ...reported.flatMap(([label, metric]) => metricRows([[label, summary]], metric)),
          ...metricRows([["tool_call->result (client)", summary]], "tool_ms"),
        ],
      ),
      "",
    );
  }

  const windows = result.timeline ?? [];
  const loadChanged = new Set(windows.map((window) => window.maxActiveCalls)).size > 1;
  if (windows.length > 1 && loadChanged) {
    // The load changed during the run (ramp-up, arrivals): how latency followed it, window by window.
    const ms = (value: number | undefined): string => (value === undefined ? "-" : value.toFixed(0));
    lines.push(`📈 TIMELINE (${result.config.windowS} s windows)`);
    lines.push(
      ...table(
        [
          "from s",
          "calls",
          "max calls",
          "arrivals",
          "dropped",
          "turns",
          "failed",
          "ttft p50",
          "ttft p95",
          "total p95",
        ],
        windows.map((window) => [
          String(window.startS),
          String(window.activeCalls),
          String(window.maxActiveCalls),
          String(window.arrivals),
          String(window.droppedCalls),
          String(window.turns),
          String(window.failed),
          ms(window.metrics.ttft_ms?.median),
          ms(window.metrics.ttft_ms?.p95),
          ms(window.metrics.total_ms?.p95),
        ]),
      ),
      "",
    );
  }

  lines.push("🩺 GENERATOR HEALTH");
  const frames = health.frameSendLagMs
    ? `; frame send lag p99 ${
      health.frameSendLagMs.p99.toFixed(1)
    } ms over ${health.frameSendLagMs.count} frames`
    : "";
  lines.push(
    `  event-loop lag p99 ${ms(health.eventLoopLagMs, "p99")} ms, max ${
      ms(health.eventLoopLagMs, "max")
    } ms; speech send lag p99 ${
      health.speechSendLagMs ? health.speechSendLagMs.p99.toFixed(1) : "-"
    } ms${frames}; CPU ${health.cpuSeconds.toFixed(1)} s; peak RSS ${
      (health.peakRssBytes / 1048576).toFixed(0)
    } MiB`,
  );
  for (const worker of health.workers ?? []) {
    const workerFrames = worker.frameSendLagMs
      ? `, frame send lag p99 ${worker.frameSendLagMs.p99.toFixed(1)} ms`
      : "";
    lines.push(
      `  worker ${worker.worker} (${worker.callers} callers): event-loop lag p99 ${
        ms(worker.eventLoopLagMs, "p99")
      } ms, speech send lag p99 ${
        worker.speechSendLagMs ? worker.speechSendLagMs.p99.toFixed(1) : "-"
      } ms${workerFrames}${worker.valid ? "" : " ⛔"}`,
    );
  }
  lines.push(
    health.valid
      ? `  ✅ valid: the generator kept up (lag p99 within ${health.maxLagMs} ms)`
      : `  ⛔ NOT VALID: ${health.reasons.join("; ")}`,
  );
  lines.push("");
  lines.push(
    `Run ${result.runId} on ${result.runtime.name} ${result.runtime.version}, protocol ${result.config.protocol}, seed ${result.config.seed}, ${
      (result.durationMs / 1000).toFixed(1)
    } s`,
  );
  lines.push("", formatVerdicts(result.verdicts));
  return lines.join("\n");
}
