/**
 * The script and style of report.html. The script reads the run's data from the page's JSON block
 * and builds everything with DOM calls: text from the bot (errors, session ids) only ever becomes
 * a text node, never markup. Charts are uPlot, inlined beside it.
 */

/** The page's own style (uPlot's is inlined separately). */
export const PAGE_STYLE = `
:root { color-scheme: light; --ok: #1a7f37; --fail: #cf222e; --warn: #9a6700; --line: #d0d7de; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1180px; padding: 16px 24px; color: #1f2328; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); }
.meta { color: #57606a; } .status { font-weight: 600; padding: 2px 8px; border-radius: 6px; }
.status.pass { background: #dafbe1; color: var(--ok); } .status.fail { background: #ffebe9; color: var(--fail); }
.status.warn { background: #fff8c5; color: var(--warn); }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 120px; }
.card .value { font-size: 20px; font-weight: 600; } .card .label { color: #57606a; font-size: 12px; }
table { border-collapse: collapse; margin: 6px 0; } th, td { padding: 3px 10px; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; } th { background: #f6f8fa; }
th.sortable { cursor: pointer; } .chart { margin: 8px 0 18px; } .note { color: #57606a; font-size: 13px; }
.filters { margin: 6px 0; display: flex; gap: 12px; align-items: center; }
td.error { max-width: 380px; overflow-wrap: anywhere; text-align: left; color: var(--fail); }
`;

/**
 * What every page's script starts with: its data, DOM builders that only ever make text nodes of
 * text, number formats, and uPlot charts (lines over time, values by percentile).
 */
const PAGE_HELPERS = `
  var data = JSON.parse(document.getElementById("voxbench-data").textContent);
  var root = document.getElementById("report");
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) for (var key in attrs) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function ms(value) { return value === null || value === undefined ? "-" : (Math.round(value * 10) / 10).toFixed(1) + " ms"; }
  function pct(value) { return value === null || value === undefined ? "-" : (value * 100).toFixed(1) + "%"; }
  function section(title, id) { var s = el("section", { id: id }, [el("h2", { text: title })]); root.appendChild(s); return s; }
  function table(headers, rows, attrs) {
    var head = el("tr", null, headers.map(function (h) { return el("th", { text: h }); }));
    return el("table", attrs || null, [el("thead", null, [head]), el("tbody", null, rows.map(function (cells) {
      return el("tr", null, cells.map(function (cell) {
        if (cell instanceof Node) return el("td", null, [cell]);
        // Words read left to right; figures line up on the right.
        return el("td", { text: String(cell), className: /^[-\\d.<>=!%]/.test(String(cell)) ? "" : "text" });
      }));
    }))]);
  }
  function status(kind, text) { return el("span", { className: "status " + kind, text: text }); }
  var width = Math.min(1100, Math.max(600, root.clientWidth || 1100));
  function chart(parent, id, title, opts, series) {
    var box = el("div", { className: "chart", id: id }, [el("div", { className: "note", text: title })]);
    parent.appendChild(box);
    opts.width = width; opts.height = opts.height || 260;
    return new uPlot(opts, series, box);
  }

  var PERCENTILES = []; for (var q = 0; q <= 100; q += 1) PERCENTILES.push(q);
  function quantiles(values) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    return PERCENTILES.map(function (q) {
      if (sorted.length === 0) return null;
      var rank = (q / 100) * (sorted.length - 1), low = Math.floor(rank), high = Math.ceil(rank);
      return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    });
  }
  var COLORS = ["#0969da", "#8250df", "#bf3989", "#1a7f37", "#9a6700", "#cf222e", "#57606a"];
  function percentileChart(parent, id, title, entries) {
    var shown = entries.filter(function (entry) { return entry.values.length > 0; });
    if (shown.length === 0) { parent.appendChild(el("p", { className: "note", text: title + ": no samples." })); return; }
    chart(parent, id, title, {
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [{ label: "percentile" }, { label: "ms (log)" }],
      series: [{}].concat(shown.map(function (entry, index) {
        return { label: entry.label + " (" + entry.values.length + ")", stroke: COLORS[index % COLORS.length] };
      })),
    }, [PERCENTILES].concat(shown.map(function (entry) {
      return quantiles(entry.values).map(function (v) { return v === null ? null : Math.max(v, 0.001); });
    })));
  }
`;

/** A page's script: the helpers, then `body`, in one function scope, run after uPlot. */
export function pageScript(body: string): string {
  return `"use strict";\n(function () {\n${PAGE_HELPERS}\n${body}\n})();\n`;
}

/** The run report's script. */
export const PAGE_SCRIPT = pageScript(`
  // Header and headline.
  var h = data.header;
  root.appendChild(el("h1", { text: "voxbench run " + h.runId }));
  root.appendChild(el("div", { className: "meta", text: h.server + " · " + h.protocol + " · " + h.load + " · " +
    (h.durationMs / 1000).toFixed(1) + " s · " + h.runtime + " · seed " + h.seed + " · " + h.startedAt }));
  var verdictLine = el("p", null, [
    status(data.verdictPassed ? "pass" : "fail", data.verdictPassed ? "PASS" : "FAIL"), document.createTextNode(" "),
    status(data.health.valid ? "pass" : "fail", data.health.valid ? "generator valid" : "NOT VALID: voxbench fell behind"),
    h.interrupted ? status("warn", "PARTIAL: the run was interrupted") : null,
  ]);
  root.appendChild(verdictLine);
  var cards = el("div", { className: "cards" });
  data.headline.forEach(function (item) {
    cards.appendChild(el("div", { className: "card" }, [
      el("div", { className: "value", "data-headline": item.key, text: item.kind === "rate" ? pct(item.value) : item.kind === "ms" ? ms(item.value) : String(item.value) }),
      el("div", { className: "label", text: item.label }),
    ]));
  });
  root.appendChild(cards);

  // Verdicts.
  var verdicts = section("Verdicts", "verdicts");
  verdicts.appendChild(table(["source", "check", "measured", "limit", "verdict"], data.verdicts.map(function (v) {
    return [v.source, v.name, v.measured === null ? (v.note || "-") : String(Math.round(v.measured * 1000) / 1000),
      v.comparison + " " + v.limit, status(v.status, v.status)];
  })));

  // Per scenario.
  var scenarios = section("Per scenario", "scenarios");
  var names = Object.keys(data.scenarios).sort();
  scenarios.appendChild(table(["scenario", "turns", "ok", "success", "ttft p50", "ttft p95", "total p95", "heard p95", "stop p95"],
    names.map(function (name) {
      var s = data.scenarios[name], m = s.metrics;
      function p(metric, stat) { return m[metric] ? ms(m[metric][stat]) : "-"; }
      return [name, s.turns, s.ok, pct(s.successRate), p("ttft_ms", "median"), p("ttft_ms", "p95"), p("total_ms", "p95"),
        p("heard_ms", "p95"), p("stop_ms", "p95")];
    })));

  // Over time.
  var windows = data.timeline || [];
  var overTime = section("Over time", "over-time");
  if (windows.length === 0) overTime.appendChild(el("p", { className: "note", text: "No timeline in this run." }));
  else {
    var xs = windows.map(function (w) { return w.startS; });
    function stat(metric, key) { return windows.map(function (w) { var s = w.metrics[metric]; return s ? s[key] : null; }); }
    var calls = windows.map(function (w) { return w.maxActiveCalls; });
    function overTimeChart(id, title, metrics) {
      var series = [{}], values = [xs];
      metrics.forEach(function (metric, index) {
        series.push({ label: metric.label + " p50", stroke: COLORS[index] });
        series.push({ label: metric.label + " p95", stroke: COLORS[index], dash: [6, 4] });
        values.push(stat(metric.key, "median"), stat(metric.key, "p95"));
      });
      series.push({ label: "calls in progress", scale: "calls", stroke: "#57606a", width: 1 });
      values.push(calls);
      chart(overTime, id, title, {
        scales: { x: { time: false }, calls: {} },
        axes: [{ label: "seconds from start" }, { label: "ms" }, { scale: "calls", side: 1, grid: { show: false }, label: "calls" }],
        series: series,
      }, values);
    }
    overTimeChart("chart-latency", "Time to first audio and to the first speech heard per window (ms, left) against calls in progress (right)",
      [{ key: "ttft_ms", label: "ttft" }, { key: "heard_ms", label: "heard" }]);
    overTimeChart("chart-reply", "Full reply time and barge-in stop per window (ms, left) against calls in progress (right)",
      [{ key: "total_ms", label: "total" }, { key: "stop_ms", label: "stop" }]);
    chart(overTime, "chart-outcomes", "Turns per window by outcome", {
      scales: { x: { time: false } }, axes: [{ label: "seconds from start" }, { label: "turns" }],
      series: [{}, { label: "ok", stroke: "#1a7f37" }, { label: "failed", stroke: "#cf222e" }],
    }, [xs, windows.map(function (w) { return w.ok; }), windows.map(function (w) { return w.failed; })]);
    chart(overTime, "chart-health", "voxbench's own event-loop lag per window (ms): above --max-lag-ms the window is NOT VALID", {
      scales: { x: { time: false } }, axes: [{ label: "seconds from start" }, { label: "ms" }],
      series: [{}, { label: "loop lag p99", stroke: "#9a6700" }, { label: "loop lag max", stroke: "#cf222e", width: 1 }],
    }, [xs, windows.map(function (w) { return w.loopLagP99Ms === undefined ? null : w.loopLagP99Ms; }),
      windows.map(function (w) { return w.loopLagMaxMs === undefined ? null : w.loopLagMaxMs; })]);
  }

  // Distributions: value at each percentile, per scenario.
  var columns = data.turns.columns, rows = data.turns.rows;
  var col = {}; columns.forEach(function (name, index) { col[name] = index; });
  function samples(metric, scenario) {
    return rows.filter(function (row) { return (!scenario || row[col.scenario] === scenario) && typeof row[col[metric]] === "number"; })
      .map(function (row) { return row[col[metric]]; });
  }
  var distributions = section("Distributions", "distributions");
  percentileChart(distributions, "chart-ttft", "Time to first audio by percentile, per scenario",
    names.map(function (name) { return { label: name, values: samples("ttft_ms", name) }; }));
  percentileChart(distributions, "chart-total", "Full reply time by percentile, per scenario",
    names.map(function (name) { return { label: name, values: samples("total_ms", name) }; }));
  var barge = section("Interruptions and false alarms", "interruptions");
  percentileChart(barge, "chart-barge-in", "How fast the bot stops, recovers and resumes, by percentile",
    [{ label: "stop_ms", values: samples("stop_ms") }, { label: "recovery_ms", values: samples("recovery_ms") },
      { label: "resume_ms", values: samples("resume_ms") }]);

  // Server-reported stages.
  var stages = Object.keys(data.serverStages);
  if (stages.length > 0) {
    var server = section("Server-reported stage timings", "server-stages");
    server.appendChild(table(["stage", "count", "p50", "p95", "p99", "max"], stages.map(function (name) {
      var s = data.serverStages[name]; return [name, s.count, ms(s.median), ms(s.p95), ms(s.p99), ms(s.max)];
    })));
  }

  // Generator health.
  var health = section("Generator health", "health");
  var hh = data.health;
  health.appendChild(el("p", { text: hh.valid ? "Valid: voxbench kept up." : "NOT VALID: " + hh.reasons.join("; ") }));
  health.appendChild(table(["figure", "p50", "p99", "max"], [
    ["event-loop lag", ms(hh.eventLoopLagMs && hh.eventLoopLagMs.median), ms(hh.eventLoopLagMs && hh.eventLoopLagMs.p99), ms(hh.eventLoopLagMs && hh.eventLoopLagMs.max)],
    ["speech send lag", ms(hh.speechSendLagMs && hh.speechSendLagMs.median), ms(hh.speechSendLagMs && hh.speechSendLagMs.p99), ms(hh.speechSendLagMs && hh.speechSendLagMs.max)],
  ]));
  health.appendChild(el("p", { className: "note", text: "CPU " + hh.cpuSeconds.toFixed(1) + " s, peak RSS " + Math.round(hh.peakRssBytes / 1048576) + " MiB" }));

  // Every turn: sortable, filterable.
  var turnsSection = section("Turns", "turns");
  var shownColumns = data.turns.shown;
  var outcomeFilter = el("select", { id: "filter-outcome" }), scenarioFilter = el("select", { id: "filter-scenario" });
  [outcomeFilter, scenarioFilter].forEach(function (select, index) {
    var key = index === 0 ? "outcome" : "scenario";
    select.appendChild(el("option", { value: "", text: "every " + key }));
    Array.from(new Set(rows.map(function (row) { return row[col[key]]; }))).sort().forEach(function (value) {
      select.appendChild(el("option", { value: value, text: value }));
    });
  });
  var count = el("span", { className: "note" });
  turnsSection.appendChild(el("div", { className: "filters" }, [outcomeFilter, scenarioFilter, count]));
  var sortColumn = "client_id", sortDescending = false;
  var headRow = el("tr", null, shownColumns.map(function (name) {
    var th = el("th", { className: "sortable", text: name });
    th.addEventListener("click", function () {
      sortDescending = sortColumn === name ? !sortDescending : false; sortColumn = name; render();
    });
    return th;
  }));
  var body = el("tbody");
  turnsSection.appendChild(el("table", { id: "turn-table" }, [el("thead", null, [headRow]), body]));
  function render() {
    var chosen = rows.filter(function (row) {
      return (!outcomeFilter.value || row[col.outcome] === outcomeFilter.value) &&
        (!scenarioFilter.value || row[col.scenario] === scenarioFilter.value);
    });
    var index = col[sortColumn];
    chosen.sort(function (a, b) {
      var x = a[index], y = b[index];
      var order = x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
      return (sortDescending ? -order : order) || a[col.client_id] - b[col.client_id] || a[col.turn_index] - b[col.turn_index];
    });
    body.textContent = "";
    chosen.forEach(function (row) {
      body.appendChild(el("tr", null, shownColumns.map(function (name) {
        var value = row[col[name]];
        var text = value === null ? "" : typeof value === "number" && name.slice(-3) === "_ms" ? value.toFixed(1) : String(value);
        return el("td", { className: name === "error" ? "error" : typeof value === "number" ? "" : "text", text: text });
      })));
    });
    count.textContent = chosen.length + " of " + rows.length + " turns";
  }
  outcomeFilter.addEventListener("change", render);
  scenarioFilter.addEventListener("change", render);
  render();
  document.body.setAttribute("data-rendered", "true");
`);
