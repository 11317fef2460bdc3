/**
 * Live metrics read back through a real Prometheus (Debian's `prometheus`) scraping a running
 * voxbench (--metrics-port) and the reference bot (serve --metrics-port) every second.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type BotFixture, runCli, startBotProcess } from "../helpers/cli.ts";
import { readCsv } from "../../src/report/read-csv.ts";

const PROMETHEUS = process.env.PROMETHEUS ?? "prometheus";

/** A port free right now (listened on, then closed). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

let dir: string;
let bot: BotFixture;
let prometheus: ChildProcess;
let prometheusUrl: string;
let runMetricsPort: number;

/** An instant query's single value, or undefined when it has no result. */
async function query(expression: string): Promise<number | undefined> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expression)}`);
  const body = await response.json() as { status: string; data: { result: { value: [number, string] }[] } };
  assert.equal(body.status, "success", JSON.stringify(body));
  const value = body.data.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "voxbench-prometheus-"));
  const botMetricsPort = await freePort();
  runMetricsPort = await freePort();
  const prometheusPort = await freePort();
  bot = await startBotProcess("prometheus-bot", ["--done-event", "--metrics-port", String(botMetricsPort)]);
  const config = join(dir, "prometheus.yml");
  await writeFile(
    config,
    `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: voxbench
    static_configs: [{ targets: ["127.0.0.1:${runMetricsPort}"] }]
  - job_name: bot
    static_configs: [{ targets: ["127.0.0.1:${botMetricsPort}"] }]
`,
  );
  prometheus = spawn(PROMETHEUS, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${prometheusPort}`,
  ], { stdio: "ignore" });
  prometheus.on("error", (error) => {
    throw new Error(`cannot start ${PROMETHEUS} (install Debian's prometheus package): ${error.message}`);
  });
  prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  for (let attempt = 0;; attempt++) {
    try {
      if ((await fetch(`${prometheusUrl}/-/ready`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (attempt > 300) throw new Error("prometheus did not become ready in 30 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

after(async () => {
  prometheus?.kill("SIGTERM");
  await new Promise((resolve) =>
    prometheus?.exitCode !== null ? resolve(undefined) : prometheus.once("exit", resolve)
  );
  await bot?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("live metrics through Prometheus", () => {
  test("voxbench_turns_total and a ttft quantile of a run, and the bot's turns and stages, read back through Prometheus", async () => {
    const exportDir = join(dir, "exports");
    const result = await runCli([
      "run",
      "--server",
      bot.url,
      "--concurrency",
      "3",
      "--requests",
      "3",
      "--seed",
      "4",
      "--simple",
      "1",
      "--tools",
      "0",
      "--interruptions",
      "1",
      "--false-alarms",
      "1",
      "--think-time",
      "0.2",
      "--metrics-port",
      String(runMetricsPort),
      "--metrics-linger",
      "3s",
      "--export-dir",
      exportDir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const runFolder = join(exportDir, (await readdir(exportDir))[0]!);
    const summary = JSON.parse(await readFile(join(runFolder, "summary.json"), "utf8"));
    const { rows } = readCsv(await readFile(join(runFolder, "turns.csv"), "utf8"));
    const ttftsS = rows.slice(1).map((row) => row[rows[0]!.indexOf("ttft_ms")]!).filter((cell) => cell !== "")
      .map((cell) => Number(cell) / 1000).sort((x, y) => x - y);
    // voxbench has exited, so its series went stale: each query takes the last value scraped.
    assert.equal(await query("sum(last_over_time(voxbench_turns_total[5m]))"), 9);
    assert.equal(
      await query(`sum(last_over_time(voxbench_turns_total{outcome="ok"}[5m]))`),
      summary.summary.ok,
    );
    assert.equal(await query("sum(last_over_time(voxbench_ttft_seconds_count[5m]))"), ttftsS.length);
    const stops = summary.summary.metrics.stop_ms?.count ?? 0;
    assert.ok(stops > 0, "the run has interruptions");
    assert.equal(await query("sum(last_over_time(voxbench_stop_seconds_count[5m]))"), stops);
    // Prometheus' p95 lies in the bucket of the sample of rank ceil(0.95 n) (it interpolates within
    // the bucket its rank falls in).
    const quantile = await query(
      "histogram_quantile(0.95, sum by (le) (last_over_time(voxbench_ttft_seconds_bucket[5m])))",
    );
    const p95S = ttftsS[Math.ceil(0.95 * ttftsS.length) - 1]!;
    const bounds = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30];
    const upper = bounds.findIndex((bound) => bound >= p95S);
    assert.ok(
      quantile! >= bounds[upper - 1]! && quantile! <= bounds[upper]!,
      `Prometheus p95 ${quantile} s, the run's ${p95S} s`,
    );
    assert.equal(await query("last_over_time(voxbench_calls_in_progress[5m])"), 0, "every call ended");
    assert.ok((await query("max_over_time(voxbench_event_loop_lag_seconds[5m])"))! >= 0);
    // The bot's side: its turn counter agrees with its own /health, and its LLM stage was timed.
    const health = await (await fetch(bot.url.replace("ws://", "http://").replace(/\/ws$/, "/health")))
      .json() as {
        turns_finished: number;
      };
    assert.ok(health.turns_finished > 0);
    assert.equal(await query("sum(voxbench_bot_turns_total)"), health.turns_finished);
    const llmStages = await query(`voxbench_bot_stage_seconds_count{stage="llm_ttft"}`);
    assert.ok(llmStages! > 0 && llmStages! <= health.turns_finished, `${llmStages} LLM stages`);
    assert.equal(await query("voxbench_bot_connections"), 0);
    // Labels stay a bounded set: scenario and outcome, never a caller or a session.
    const series = await fetch(`${prometheusUrl}/api/v1/series?match[]=voxbench_turns_total`);
    const labels = (await series.json() as { data: Record<string, string>[] }).data.flatMap((entry) =>
      Object.keys(entry)
    );
    assert.deepEqual([...new Set(labels)].sort(), ["__name__", "instance", "job", "outcome", "scenario"]);
  });

  test("the Grafana dashboard's every query parses in Prometheus and names only metrics that exist", async () => {
    const dashboard = JSON.parse(
      await readFile(new URL("../../deploy/grafana/voxbench.json", import.meta.url), "utf8"),
    );
    const names = new Set(
      (await (await fetch(`${prometheusUrl}/api/v1/label/__name__/values`)).json() as { data: string[] })
        .data,
    );
    const expressions: string[] = dashboard.panels.flatMap((panel: { targets: { expr: string }[] }) =>
      panel.targets.map((target) => target.expr)
    );
    assert.ok(expressions.length >= 10);
    for (const expression of expressions) {
      const promql = expression.replaceAll("$__rate_interval", "1m");
      const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
      assert.equal((await response.json() as { status: string }).status, "success", promql);
      for (const [name] of promql.matchAll(/voxbench_[a-z_]+/g)) {
        assert.ok(names.has(name), `${name} (in "${promql}") was never scraped`);
      }
    }
  });

  test("a metrics port already in use is one line and exit 2, before anything runs", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "0.0.0.0", () => resolve()));
    try {
      const port = (holder.address() as { port: number }).port;
      const taken = await runCli(["run", "--server", bot.url, "--metrics-port", String(port), "--no-export"]);
      assert.equal(taken.code, 2, taken.stderr);
      assert.match(taken.stderr, /^voxbench: --metrics-port \d+: cannot listen \(EADDRINUSE\)\n$/);
    } finally {
      holder.close();
    }
  });
});
