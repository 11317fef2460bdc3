import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRandom } from "../../src/common/random.ts";
import { resolveRunConfig } from "../../src/load/options.ts";
import { SUMMARY_SCHEMA_VERSION } from "../../src/load/runner.ts";
import { summarizeRun } from "../../src/metrics/summary.ts";
import { emptyTurnRecord, type TurnRecord } from "../../src/metrics/turn-record.ts";
import type { ScenarioWeights } from "../../src/scenarios/registry.ts";
import {
  comparabilityProblems,
  compareRuns,
  formatComparison,
  loadComparedRun,
} from "../../src/report/compare.ts";
import { readCsv } from "../../src/report/read-csv.ts";
import { turnsToCsv } from "../../src/report/turns-csv.ts";
import { runCli } from "../helpers/cli.ts";

let dir: string;

/** What a test run folder records beyond its turns. */
interface RunFolderOptions {
  readonly interrupted?: boolean;
  readonly weights?: Partial<ScenarioWeights>;
  /** Written as config.protocol; today's runs leave it out (meaning "speech-events"). */
  readonly protocol?: string;
  /** Cells set on every turn (e.g. a metric only this run measured). */
  readonly turn?: Partial<TurnRecord>;
}

/**
 * Writes a run folder as a run exports it: turns.csv by the project's writer, and summary.json
 * with the fields a run records (its config resolved by the run's own option resolver, its summary
 * by the run's own summarizer). TTFT is log-normal around `medianMs`; the first `failed` turns
 * time out (their last error holds a comma, so the CSV quotes it).
 */
async function runFolder(
  name: string,
  medianMs: number,
  count: number,
  seed: number,
  failed = 0,
  options: RunFolderOptions = {},
): Promise<string> {
  const random = createRandom(seed);
  const turns: TurnRecord[] = Array.from({ length: count }, (_, index) => ({
    ...emptyTurnRecord({
      run_id: name,
      client_id: index % 10,
      turn_index: Math.floor(index / 10),
      scenario: "simple_query",
      started_at: "2026-01-01T00:00:00.000Z",
    }),
    outcome: index < failed ? ("timeout_first_audio" as const) : ("ok" as const),
    error: index < failed ? "no reply audio, then the timeout" : null,
    ttft_ms: index < failed ? null : Math.round(medianMs * Math.exp(0.2 * random.normal()) * 1000) / 1000,
    total_ms: index < failed
      ? null
      : Math.round((medianMs + 3000) * Math.exp(0.05 * random.normal()) * 1000) / 1000,
    ...options.turn,
  }));
  const config = resolveRunConfig({ seed, weights: options.weights }, "bundled fixtures");
  const summary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    tool: { name: "voxbench", version: "test" },
    runId: name,
    config: options.protocol === undefined ? config : { ...config, protocol: options.protocol },
    interrupted: options.interrupted ?? false,
    summary: summarizeRun(turns),
    turnsFile: "turns.csv",
  };
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(join(folder, "turns.csv"), turnsToCsv(turns));
  return folder;
}

/** Rewrites a run's turns.csv through `edit`. */
async function editCsv(folder: string, edit: (text: string) => string): Promise<void> {
  const path = join(folder, "turns.csv");
  await writeFile(path, edit(await readFile(path, "utf8")));
}

/** The CSV without its last row's line end and the rest of the row after `keep` characters. */
function cutLastRow(text: string, keep: number): string {
  const lastRowStart = text.lastIndexOf("\n", text.length - 2) + 1;
  return text.slice(0, lastRowStart + keep);
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
    assert.ok(
      ttftMedian.changePercent! > 15 && ttftMedian.changePercent! < 35,
      `${ttftMedian.changePercent}%`,
    );
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
    const row = comparison.rows.find((candidate) =>
      candidate.metric === "ttft_ms" && candidate.stat === "mean"
    )!;
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
    const parsed = JSON.parse(json.stdout) as {
      maxRegressionPercent: number;
      rows: unknown[];
      regressions: number;
    };
    assert.equal(parsed.maxRegressionPercent, 50);
    assert.equal(parsed.regressions, 0);
    assert.ok(parsed.rows.length > 0);
  });

  test("CLI: bad input is one line and exit 2", async () => {
    const base = await runFolder("bad-base", 400, 20, 12);
    await mkdir(join(dir, "empty"), { recursive: true });
    await writeFile(join(dir, "empty", "summary.json"), "{ nope");
    for (
      const args of [
        ["compare", base],
        ["compare", base, join(dir, "missing")],
        ["compare", base, join(dir, "empty")],
        ["compare", base, base, "--alpha", "2"],
        ["compare", base, base, "--max-regression", "lots"],
      ]
    ) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stderr.trim().split("\n").length, 1);
    }
  });
});

describe("compare refuses runs it cannot judge", () => {
  /** The problems `compare` finds between a baseline and a candidate folder. */
  async function problemsOf(baselineFolder: string, candidateFolder: string): Promise<string[]> {
    return comparabilityProblems(
      await loadComparedRun(baselineFolder),
      await loadComparedRun(candidateFolder),
    );
  }

  test("two complete runs of the same mix have no problems", async () => {
    assert.deepEqual(
      await problemsOf(await runFolder("good-a", 400, 50, 20), await runFolder("good-b", 400, 50, 21)),
      [],
    );
  });

  test("a run with no turns", async () => {
    const problems = await problemsOf(
      await runFolder("empty-base", 400, 50, 22),
      await runFolder("empty-run", 400, 0, 23),
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^the candidate run \(.*empty-run\) has no turns$/);
  });

  test("a summary.json or turns.csv that is a FIFO is refused at once, never read", async () => {
    const { execFileSync } = await import("node:child_process");
    const base = await runFolder("fifo-base", 400, 50, 40);
    const fifoSummary = await runFolder("fifo-summary", 400, 50, 41);
    await rm(join(fifoSummary, "summary.json"));
    execFileSync("mkfifo", [join(fifoSummary, "summary.json")]);
    await assert.rejects(loadComparedRun(fifoSummary), /summary\.json: not a regular file \(a FIFO\)/);
    const fifoCsv = await runFolder("fifo-csv", 400, 50, 42);
    await rm(join(fifoCsv, "turns.csv"));
    execFileSync("mkfifo", [join(fifoCsv, "turns.csv")]);
    await assert.rejects(problemsOf(base, fifoCsv), /turns\.csv: not a regular file \(a FIFO\)/);
  });

  test("an interrupted run", async () => {
    const problems = await problemsOf(
      await runFolder("stopped", 400, 50, 24, 0, { interrupted: true }),
      await runFolder("stopped-b", 400, 50, 25),
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^the baseline run \(.*stopped\) was interrupted .*partial/);
  });

  test("a turns.csv cut mid-row, in a plain cell or inside a quoted one; a forced compare uses the complete rows only", async () => {
    const base = await runFolder("cut-base", 400, 50, 26);
    const cut = await runFolder("cut-plain", 400, 50, 27);
    await editCsv(cut, (text) => cutLastRow(text, 25));
    const problems = await problemsOf(base, cut);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(
      problems[0]!,
      /^the candidate run \(.*cut-plain\) has a turns\.csv cut mid-row \(its last row has \d+ of \d+ cells\)$/,
    );
    const candidate = await loadComparedRun(cut);
    assert.equal(candidate.turns, 49);
    assert.equal(candidate.samples.get("ttft_ms")!.length, 49);
    const forced = compareRuns(await loadComparedRun(base), candidate, 10, 0.01);
    assert.equal(forced.candidate.turns, 49);
    assert.equal(forced.warnings[0], problems[0]);

    // The last turn failed with an error the CSV quotes ("no reply audio, then ..."): cut inside it.
    const quoted = await runFolder("cut-quoted", 400, 50, 28, 50);
    await editCsv(quoted, (text) => text.slice(0, text.lastIndexOf('"no reply audio') + 8));
    const quotedProblems = await problemsOf(base, quoted);
    assert.equal(quotedProblems.length, 1, quotedProblems.join("\n"));
    assert.match(quotedProblems[0]!, /cut mid-row \(it ends inside a quoted cell\)$/);
    assert.equal((await loadComparedRun(quoted)).turns, 49);
  });

  test("a turns.csv with fewer rows than summary.json counts, or with a row of the wrong length", async () => {
    const base = await runFolder("short-base", 400, 50, 29);
    const short = await runFolder("short", 400, 50, 30);
    await editCsv(short, (text) => cutLastRow(text, 0));
    const problems = await problemsOf(base, short);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(
      problems[0]!,
      /^the candidate run \(.*short\) has 49 turns in turns\.csv but summary\.json counts 50: the file is cut/,
    );

    const misshapen = await runFolder("misshapen", 400, 50, 31);
    await editCsv(misshapen, (text) => text.replace(/\n(.*?),/, "\n$1,extra,"));
    const misshapenProblems = await problemsOf(base, misshapen);
    assert.equal(misshapenProblems.length, 1, misshapenProblems.join("\n"));
    assert.match(
      misshapenProblems[0]!,
      /has 1 row in turns\.csv whose cell count differs from the header's \d+ \(the first is row 2\)$/,
    );
  });

  test("runs of different scenario mixes or protocols; equal shares of other weights are the same mix", async () => {
    const base = await runFolder("mix-base", 400, 50, 32);
    const simpleOnly = await runFolder("mix-simple", 400, 50, 33, 0, {
      weights: { simple: 1, tools: 0, interruptions: 0, falseAlarms: 0 },
    });
    assert.deepEqual(await problemsOf(base, simpleOnly), [
      "the runs used different scenario mixes (baseline simple_query 0.6 tool_call 0.2 interruption 0.1 false_alarm 0.1, candidate simple_query 1)",
    ]);
    const scaled = await runFolder("mix-scaled", 400, 50, 34, 0, {
      weights: { simple: 6, tools: 2, interruptions: 1, falseAlarms: 1 },
    });
    assert.deepEqual(await problemsOf(base, scaled), []);
    const otherProtocol = await runFolder("protocol-b", 400, 50, 35, 0, { protocol: "pipecat" });
    assert.deepEqual(await problemsOf(base, otherProtocol), [
      "the runs used different protocols (baseline speech-events, candidate pipecat)",
    ]);
    const sameProtocol = await runFolder("protocol-same", 400, 50, 36, 0, { protocol: "speech-events" });
    assert.deepEqual(await problemsOf(base, sameProtocol), []);
  });

  test("readCsv keeps a row cut short apart from the finished ones", () => {
    assert.deepEqual(readCsv("a,b\r\n1,2\n"), {
      rows: [["a", "b"], ["1", "2"]],
      unfinishedRow: null,
      endsInQuotes: false,
    });
    assert.deepEqual(readCsv("a,b\n1,2\n3"), {
      rows: [["a", "b"], ["1", "2"]],
      unfinishedRow: ["3"],
      endsInQuotes: false,
    });
    assert.deepEqual(readCsv('a,b\n1,"x\ny'), {
      rows: [["a", "b"]],
      unfinishedRow: ["1", "x\ny"],
      endsInQuotes: true,
    });
  });

  test("CLI: a refused run is exit 2 and one line; --force makes it a warning and compares", async () => {
    const base = await runFolder("cli-refuse-base", 400, 200, 37);
    const stopped = await runFolder("cli-refuse-stopped", 400, 200, 38, 0, { interrupted: true });
    const refused = await runCli(["compare", base, stopped]);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.equal(refused.stdout, "");
    assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /^voxbench: cannot compare: the candidate run \(.*\) was interrupted .*; use --force to compare anyway\n$/,
    );

    const forced = await runCli(["compare", "--force", base, stopped]);
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);
    assert.match(forced.stderr, /^voxbench: warning: the candidate run \(.*\) was interrupted .*partial\n$/);
    assert.match(forced.stdout, /⚠️ the candidate run .* was interrupted/);
    assert.match(forced.stdout, /⚠️ no significant regression, but 1 warning: /);
    assert.doesNotMatch(forced.stdout, /✅/);
  });
});

describe("compare with small samples, and the success rate", () => {
  test("100% -> 58% over 12 turns: not significant at 0.01 (p = 0.0186), so inconclusive, never a plain no regression", async () => {
    const comparison = compareRuns(
      await loadComparedRun(await runFolder("rate12-base", 400, 12, 40)),
      await loadComparedRun(await runFolder("rate12-cand", 400, 12, 41, 5)),
      10,
      0.01,
    );
    const rate = comparison.rows.find((row) => row.metric === "success_rate")!;
    assert.equal(rate.candidate, 7 / 12);
    assert.equal(rate.test, "fisher-exact");
    assert.ok(Math.abs(rate.p - 792 / 42504) < 1e-12, `${rate.p}`); // C(12, 7) / C(24, 19)
    assert.equal(rate.regression, false);
    assert.equal(comparison.regressions, 0);
    const warning = comparison.warnings.find((text) => text.startsWith("success_rate:"));
    assert.match(
      warning ?? "",
      /^success_rate: inconclusive: rate is 41\.7% worse \(100\.0% -> 58\.3%\) but p = 0\.0186 is not below 0\.01; 12 baseline and 12 candidate turns are too few to tell a 10% drop at alpha 0\.01 \(about \d+ per side would do\)$/,
    );
    // TTFT has 12 and 7 samples: too few as well, said per metric.
    assert.ok(
      comparison.warnings.some((text) =>
        /^ttft_ms: .*12 baseline and 7 candidate samples are too few/.test(text)
      ),
      comparison.warnings.join("\n"),
    );
    const table = formatComparison(comparison);
    assert.match(table, /⚠️ success_rate: inconclusive/);
    assert.match(
      table,
      /\n {2}⚠️ no significant regression, but \d+ warnings: the runs or samples may not be enough to tell$/,
    );
    assert.doesNotMatch(table, /✅/);
  });

  test("enough samples: no sample-size warning, and a plain no regression", async () => {
    const comparison = compareRuns(
      await loadComparedRun(await runFolder("enough-a", 400, 200, 42)),
      await loadComparedRun(await runFolder("enough-b", 400, 200, 43)),
      10,
      0.01,
    );
    assert.deepEqual(comparison.warnings, []);
    assert.match(formatComparison(comparison), /✅ no regression$/);
  });

  test("a metric only one run measured is a warning; with --max-regression 0 only the 20-sample minimum applies", async () => {
    const baseline = await loadComparedRun(
      await runFolder("one-side-a", 400, 30, 50, 0, { turn: { connect_ms: 50 } }),
    );
    const candidate = await loadComparedRun(await runFolder("one-side-b", 400, 30, 51));
    assert.deepEqual(compareRuns(baseline, candidate, 0, 0.01).warnings, [
      "connect_ms: measured in the baseline run only (30 samples), so not compared",
    ]);
  });

  test("a metric with 20+ samples but too much spread for its count gets a warning naming what would do", async () => {
    // 30 turns, TTFT log-normal with sigma 0.2: a 10% shift makes P(shifted > unshifted) about
    // 0.63, which the test calls significant at 0.01 from about 64 samples per side.
    const comparison = compareRuns(
      await loadComparedRun(await runFolder("spread-a", 400, 30, 44)),
      await loadComparedRun(await runFolder("spread-b", 400, 30, 45)),
      10,
      0.01,
    );
    const warning = comparison.warnings.find((text) => text.startsWith("ttft_ms:"));
    const needed = Number(/about (\d+) per side/.exec(warning ?? "")?.[1]);
    assert.ok(needed > 40 && needed < 100, warning);
    // total_ms varies less (0.05): 30 samples tell a 10% change.
    assert.equal(comparison.warnings.find((text) => text.startsWith("total_ms:")), undefined);
  });

  test("CLI: 12 turns 100% -> 58% is exit 0 with the inconclusive warning; 100 turns 100% -> 58% is a regression, exit 1", async () => {
    const small = await runCli([
      "compare",
      await runFolder("cli-rate12-a", 400, 12, 46),
      await runFolder("cli-rate12-b", 400, 12, 47, 5),
    ]);
    assert.equal(small.code, 0, small.stdout + small.stderr);
    assert.equal(small.stderr, "");
    assert.match(small.stdout, /⚠️ success_rate: inconclusive/);
    assert.match(small.stdout, /⚠️ no significant regression, but \d+ warnings/);
    const large = await runCli([
      "compare",
      "--json",
      await runFolder("cli-rate100-a", 400, 100, 48),
      await runFolder("cli-rate100-b", 400, 100, 49, 42),
    ]);
    assert.equal(large.code, 1, large.stdout + large.stderr);
    const parsed = JSON.parse(large.stdout) as {
      rows: { metric: string; p: number; regression: boolean }[];
      regressions: number;
      warnings: string[];
    };
    const rate = parsed.rows.find((row) => row.metric === "success_rate")!;
    assert.equal(rate.regression, true);
    assert.ok(rate.p < 1e-14, `${rate.p}`); // scipy fisher_exact([[100, 0], [58, 42]], "greater"): 9.33e-16
    assert.ok(Array.isArray(parsed.warnings));
  });
});
