import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, type RunResult } from "../../src/load/runner.ts";
import { TURN_COLUMNS } from "../../src/metrics/turn-record.ts";
import { serve } from "../../src/server/server.ts";
import { writeExports } from "../../src/report/exports.ts";
import { spreadsheetSafe, turnsToCsv } from "../../src/report/turns-csv.ts";
import { formatConsoleReport } from "../../src/report/console-report.ts";
import { parseCsv } from "../helpers/csv.ts";
import { quickLibrary } from "../helpers/test-audio.ts";

let dir: string;
let result: RunResult;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "voxbench-exports-"));
  const library = quickLibrary(1500);
  const server = await serve({
    port: 0,
    sttMs: { kind: "fixed", ms: 20 },
    llmTtftMs: { kind: "fixed", ms: 50 },
    ttsTtfbMs: { kind: "fixed", ms: 30 },
    toolMs: { kind: "fixed", ms: 40 },
    doneEvent: true,
    noiseThresholdMs: 150,
    replyAudio: library,
    metricsEvents: true,
  });
  try {
    result = await run({
      server: `${server.url}?token=supersecret`,
      headers: { Authorization: "Bearer hunter2-token" },
      concurrency: 3,
      requests: 3,
      seed: 4,
      thinkTimeS: { min: 0, max: 0.05 },
      audioLibrary: library,
      weights: { simple: 1, tools: 1, interruptions: 1, falseAlarms: 1 },
      runId: "exports-test",
    });
  } finally {
    await server.close();
  }
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("exports", () => {
  test("turns.csv parses back: a header, one row per turn, numbers, ISO times, empty cells", async () => {
    const paths = await writeExports(result, dir);
    const rows = parseCsv(await readFile(paths.turnsCsv, "utf8"));
    assert.deepEqual(rows[0], [...TURN_COLUMNS]);
    assert.equal(rows.length - 1, result.turns.length);
    assert.equal(rows.length - 1, 9);
    const column = (name: string): number => rows[0]!.indexOf(name);
    for (const row of rows.slice(1)) {
      assert.equal(row.length, TURN_COLUMNS.length);
      assert.equal(row[column("run_id")], "exports-test");
      assert.match(row[column("started_at")]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(row[column("outcome")], "ok");
      assert.ok(Number.isFinite(Number(row[column("ttft_ms")])));
      const scenario = row[column("scenario")];
      if (scenario === "simple_query") {
        assert.equal(row[column("stop_ms")], "", "not applicable is an empty cell");
      }
      if (scenario === "interruption") assert.ok(Number(row[column("recovery_ms")]) > 0);
    }
  });

  test("summary.json holds the schema, tool, runtime, configuration, counts, statistics and health", async () => {
    const paths = await writeExports(result, dir);
    const summary = JSON.parse(await readFile(paths.summaryJson, "utf8")) as RunResult & {
      turnsFile: string;
    };
    assert.equal(summary.schemaVersion, 1);
    assert.equal(summary.tool.name, "voxbench");
    assert.ok(["node", "deno"].includes(summary.runtime.name));
    assert.equal(summary.config.concurrency, 3);
    assert.equal(summary.config.seed, 4);
    assert.match(summary.startedAt, /Z$/);
    assert.equal(summary.summary.turns, 9);
    assert.equal(typeof summary.summary.metrics.ttft_ms?.p95, "number");
    assert.ok(summary.summary.byScenario.interruption?.metrics.stop_ms);
    assert.equal(typeof summary.health.valid, "boolean");
    assert.equal(
      (summary as { turns?: unknown }).turns,
      undefined,
      "summary.json leaves the turns to turns.csv",
    );
    assert.equal(summary.turnsFile, "turns.csv");
  });

  test("secrets are redacted in summary.json, turns.csv and the console report", async () => {
    const paths = await writeExports(result, dir);
    for (
      const text of [
        await readFile(paths.summaryJson, "utf8"),
        await readFile(paths.turnsCsv, "utf8"),
        formatConsoleReport(result),
      ]
    ) {
      assert.ok(!text.includes("hunter2"), "header value leaked");
      assert.ok(!text.includes("supersecret"), "token leaked");
    }
    const summary = JSON.parse(await readFile(paths.summaryJson, "utf8")) as {
      config: { headers: Record<string, string>; server: string };
    };
    assert.deepEqual(summary.config.headers, { Authorization: "[redacted]" });
    assert.match(summary.config.server, /token=\[redacted\]/);
  });

  test("an existing run folder is never overwritten", async () => {
    const first = await writeExports(result, join(dir, "again"));
    const second = await writeExports(result, join(dir, "again"));
    assert.notEqual(first.dir, second.dir);
    assert.match(second.dir, /exports-test-2$/);
    assert.deepEqual((await readdir(join(dir, "again"))).sort(), ["exports-test", "exports-test-2"]);
  });

  test("cells a spreadsheet would run as formulas are escaped; numbers are not", () => {
    assert.equal(spreadsheetSafe('=HYPERLINK("http://x")'), '\'=HYPERLINK("http://x")');
    assert.equal(spreadsheetSafe("+1"), "'+1");
    assert.equal(spreadsheetSafe("@cmd"), "'@cmd");
    assert.equal(spreadsheetSafe(-12.5), "-12.5");
    assert.equal(spreadsheetSafe(null), "");
    const turn = {
      ...result.turns[0]!,
      outcome: "server_error" as const,
      error: "=cmd|' /C calc'!A0\nsecond line, with comma",
    };
    const rows = parseCsv(turnsToCsv([turn]));
    assert.equal(rows[1]![TURN_COLUMNS.indexOf("error")], "'=cmd|' /C calc'!A0\nsecond line, with comma");
  });

  test("the console report has the old layout's sections, then voxbench's", () => {
    const text = formatConsoleReport(result);
    const order = [
      "LOAD TEST PERFORMANCE REPORT",
      "📊 SUMMARY",
      "📋 REQUEST TYPES",
      "🎵 AUDIO FILES USED",
      "🔌 CONNECTION LATENCY",
      "⚡ TIME TO FIRST TOKEN (TTFT)",
      "🏁 TOTAL RESPONSE TIME",
      "📑 PER SCENARIO",
      "🚨 INTERRUPTIONS",
      "🎭 FALSE ALARMS",
      "🔊 AUDIO QUALITY",
      "🧮 SERVER-REPORTED TIMINGS",
      "🩺 GENERATOR HEALTH",
    ];
    let position = -1;
    for (const heading of order) {
      const next = text.indexOf(heading);
      assert.ok(next > position, `${heading} missing or out of order`);
      position = next;
    }
    assert.match(text, /Total Requests: {6}9/);
    assert.match(text, /Median: +\d+\.\dms {2}\(\d\.\d{3}s\)/);
  });
});
