import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRandom } from "../../src/common/random.ts";
import { emptyTurnRecord, type TurnRecord } from "../../src/metrics/turn-record.ts";
import { compareRuns, loadComparedRun } from "../../src/report/compare.ts";
import { turnsToCsv } from "../../src/report/turns-csv.ts";
import { runCli } from "../helpers/cli.ts";

let dir: string;

/** Writes a run folder whose TTFT is log-normal around `medianMs`. */
async function runFolder(name: string, medianMs: number, count: number, seed: number, failed = 0): Promise<string> {
  const random = createRandom(seed);
  const turns: TurnRecord[] = Array.from({ length: count }, (_, index) => ({
    ...emptyTurnRecord({ run_id: name, client_id: index % 10, turn_index: Math.floor(index / 10), scenario: "simple_query", started_at: "2026-01-01T00:00:00.000Z" }),
    outcome: index < failed ? ("timeout_first_audio" as const) : ("ok" as const),
    ttft_ms: index < failed ? null : Math.round(medianMs * Math.exp(0.2 * random.normal()) * 1000) / 1000,
    total_ms: index < failed ? null : Math.round((medianMs + 3000) * Math.exp(0.05 * random.normal()) * 1000) / 1000,
  }));
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "summary.json"), JSON.stringify({ schemaVersion: 1, runId: name, turnsFile: "turns.csv" }));
  await writeFile(join(folder, "turns.csv"), turnsToCsv(turns));
  return folder;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "voxbench-compare-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("compare", () => {
  test("a 25% slower TTFT over 200 turns is a regression; the statistics are right", async () => {
    const baseline = await loadComparedRun(await runFolder("base", 400, 200, 1));
    const candidate = await loadComparedRun(await runFolder("slow", 500, 200, 2));
    const comparison = compareRuns(baseline, candidate, 10, 0.01);
    const ttftMedian = comparison.rows.find((row) => row.metric === "ttft_ms" && row.stat === "median")!;
    assert.ok(ttftMedian.changePercent! > 15 && ttftMedian.changePercent! < 35, `${ttftMedian.changePercent}%`);
    assert.ok(ttftMedian.p < 1e-6);
    assert.equal(ttftMedian.regression, true);
    assert.equal(baseline.samples.get("ttft_ms")!.length, 200);
    assert.ok(comparison.regressions >= 4);
  });

  test("a 3% change is never a regression, however significant", async () => {
    const comparison = compareRuns(
      await loadComparedRun(await runFolder("base3", 400, 2000, 3)),
      await loadComparedRun(await runFolder("plus3", 412, 2000, 4)),
      10,
      0.01,
    );
    assert.equal(comparison.regressions, 0);
  });

  test("a large change on a handful of turns is not significant, so not a regression", async () => {
    const comparison = compareRuns(
      await loadComparedRun(await runFolder("few-a", 400, 3, 5)),
      await loadComparedRun(await runFolder("few-b", 480, 3, 6)),
      10,
      0.01,
    );
    const row = comparison.rows.find((candidate) => candidate.metric === "ttft_ms" && candidate.stat === "mean")!;
    assert.ok(row.changePercent! > 10);
    assert.ok(row.p >= 0.01);
    assert.equal(comparison.regressions, 0);
  });

  test("a lower success rate is a regression when significant (higher is better)", async () => {
    const comparison = compareRuns(
      await loadComparedRun(await runFolder("ok-all", 400, 300, 7)),
      await loadComparedRun(await runFolder("ok-70", 400, 300, 8, 90)),
      10,
      0.01,
    );
    const rate = comparison.rows.find((row) => row.metric === "success_rate")!;
    assert.equal(rate.baseline, 1);
    assert.equal(rate.candidate, 0.7);
    assert.equal(rate.regression, true);
  });

  test("CLI: exit 1 on a regression, 0 without, --json, and summary.json paths", async () => {
    const base = await runFolder("cli-base", 400, 200, 9);
    const slow = await runFolder("cli-slow", 520, 200, 10);
    const same = await runFolder("cli-same", 400, 200, 11);
    const regression = await runCli(["compare", base, slow]);
    assert.equal(regression.code, 1, regression.stderr);
    assert.match(regression.stdout, /ttft_ms +median .*❌ REGRESSION/);
    const fine = await runCli(["compare", join(base, "summary.json"), join(same, "summary.json")]);
    assert.equal(fine.code, 0, fine.stdout + fine.stderr);
    assert.match(fine.stdout, /✅ no regression/);
    const json = await runCli(["compare", "--json", "--max-regression", "50", base, slow]);
    assert.equal(json.code, 0);
    const parsed = JSON.parse(json.stdout) as { maxRegressionPercent: number; rows: unknown[]; regressions: number };
    assert.equal(parsed.maxRegressionPercent, 50);
    assert.equal(parsed.regressions, 0);
    assert.ok(parsed.rows.length > 0);
  });

  test("CLI: bad input is one line and exit 2", async () => {
    const base = await runFolder("bad-base", 400, 20, 12);
    await mkdir(join(dir, "empty"), { recursive: true });
    await writeFile(join(dir, "empty", "summary.json"), "{ nope");
    for (const args of [
      ["compare", base],
      ["compare", base, join(dir, "missing")],
      ["compare", base, join(dir, "empty")],
      ["compare", base, base, "--alpha", "2"],
      ["compare", base, base, "--max-regression", "lots"],
    ]) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stderr.trim().split("\n").length, 1);
    }
  });
});
