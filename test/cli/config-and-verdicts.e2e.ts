import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BotFixture, REPO_ROOT, runCli, startBotProcess } from "../helpers/cli.ts";
import { MAX_CONFIG_FILE_BYTES } from "../../src/config/config-file.ts";
import { linesOf, runCliWithin } from "../helpers/hang-guard.ts";

let bot: BotFixture;
let dir: string;
let url: string;
before(async () => {
  bot = await startBotProcess("config", ["--reply-delay-ms", "100", "--pace", "20", "--done-event"]);
  ({ dir, url } = bot);
});
after(() => bot.close());

const QUICK = [
  "--concurrency",
  "1",
  "--requests",
  "1",
  "--simple",
  "1",
  "--tools",
  "0",
  "--interruptions",
  "0",
  "--false-alarms",
  "0",
  "--think-time",
  "0",
  "--quiet",
];

describe("thresholds, targets and the exit code", () => {
  test("a failed threshold exits 1 after the report and exports are written, with verdicts in summary.json", async () => {
    const result = await runCli([
      "--server",
      url,
      ...QUICK,
      "--threshold",
      "ttft.p95<1",
      "--threshold",
      "success_rate>0.5",
      "--export-dir",
      dir,
      "--run-id",
      "thresholds",
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /threshold +ttft\.p95<1 +\d+\.\d ms +< 1\.0 ms +❌ fail/);
    assert.match(result.stdout, /threshold +success_rate>0\.5 +100\.0% +> 50\.0% +✅ pass/);
    assert.match(result.stdout, /1 check failed: exit code 1\./);
    const summary = JSON.parse(await readFile(join(dir, "thresholds", "summary.json"), "utf8")) as {
      verdicts: { expression: string; status: string }[];
    };
    assert.deepEqual(
      summary.verdicts.filter((verdict) => verdict.expression.startsWith("ttft.p95")).map((verdict) =>
        verdict.status
      ),
      ["fail"],
    );
  });

  test("--targets low-load passes against a quick bot, listing each target", async () => {
    const result = await runCli(["--server", url, ...QUICK, "--targets", "low-load", "--no-export"]);
    assert.equal(result.code, 0, result.stdout);
    for (
      const name of [
        "TTFT mean (low-load)",
        "TTFT P95 (low-load)",
        "Total response mean (low-load)",
        "Connection time P95 (low-load)",
        "Success rate (low-load)",
      ]
    ) {
      assert.ok(result.stdout.includes(name), name);
    }
    assert.match(result.stdout, /All checks passed\./);
  });

  test("bad --threshold or --targets is a usage error before anything runs", async () => {
    for (const args of [["--threshold", "ttft.p95"], ["--threshold", "tft.p95<3"], ["--targets", "medium"]]) {
      const result = await runCli(["--server", url, ...QUICK, ...args]);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.trim().split("\n").length, 1);
    }
  });
});

describe("config file", () => {
  test("voxbench.config.json in the working directory is read; flags override it", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "voxbench-cwd-"));
    try {
      await writeFile(
        join(cwd, "voxbench.config.json"),
        JSON.stringify({
          server: url,
          concurrency: 2,
          requests: 1,
          weights: { simple: 1, tools: 0, interruptions: 0, falseAlarms: 0 },
          timeouts: { simple: 20 },
          thinkTime: "0",
          thresholds: ["ttft.max<1"],
          quiet: true,
          exportDir: join(cwd, "out"),
          runId: "from-config",
          // What this test checks is the config, not the generator's health: a loaded CI machine
          // may stall a starting process past the default 25 ms (exit 3).
          maxLagMs: 1000,
        }),
      );
      const fromFile = await runCli(["run"], { cwd });
      assert.equal(fromFile.code, 1, fromFile.stderr);
      assert.match(fromFile.stdout, /Total Requests: {6}2/);
      const summary = JSON.parse(await readFile(join(cwd, "out", "from-config", "summary.json"), "utf8")) as {
        config: { timeoutsS: { simple_query: number }; thresholds: string[] };
      };
      assert.equal(summary.config.timeoutsS.simple_query, 20);
      assert.deepEqual(summary.config.thresholds, ["ttft.max<1"]);
      const overridden = await runCli([
        "run",
        "--concurrency",
        "1",
        "--no-export",
        "--threshold",
        "ttft.max<60000",
        "--max-lag-ms",
        "1000",
      ], { cwd });
      assert.equal(overridden.code, 0, overridden.stdout);
      assert.match(overridden.stdout, /Total Requests: {6}1/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  test("--config FILE; unknown keys and bad files are errors, not ignored", async () => {
    const good = join(dir, "good.json");
    await writeFile(
      good,
      JSON.stringify({
        server: url,
        concurrency: 1,
        requests: 1,
        simple: 1,
        tools: 0,
        interruptions: 0,
        falseAlarms: 0,
        thinkTime: 0,
        export: false,
        quiet: true,
      }),
    );
    const ok = await runCli(["--config", good], { cwd: REPO_ROOT });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /Total Requests: {6}1/);
    const cases: [object | string, RegExp][] = [
      [{ concurency: 3 }, /unknown key "concurency" \(did you mean "concurrency"\?\)/],
      [{ weights: { simpel: 1 } }, /unknown key "weights\.simpel"/],
      [{ timeouts: 5 }, /"timeouts" must be an object/],
      [{ concurrency: { a: 1 } }, /must be a string, a number/],
      ["[1, 2]", /must hold a JSON object/],
      ["{ oops", /not valid JSON/],
      // Own keys only: these are members of every object's prototype, not config keys.
      [{ constructor: { name: 1 } }, /unknown key "constructor"/],
      [{ timeouts: { toString: 1 } }, /unknown key "timeouts\.toString"/],
    ];
    for (const [content, pattern] of cases) {
      const path = join(dir, `bad-${Math.random()}.json`);
      await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
      const result = await runCli(["--config", path]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split("\n").length, 1);
    }
    const missing = await runCli(["--config", join(dir, "nope.json")]);
    assert.equal(missing.code, 2);
    assert.deepEqual(linesOf(missing.stderr), [
      `voxbench: --config ${join(dir, "nope.json")}: file not found`,
    ]);
  });

  test("a FIFO, a device, a directory or an oversized file as the config is one line and exit 2, at once", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "voxbench-config-"));
    try {
      const fifo = join(cwd, "fifo.json");
      execFileSync("mkfifo", [fifo]);
      const toFifo = join(cwd, "link.json");
      await symlink(fifo, toFifo);
      const folder = join(cwd, "folder.json");
      await mkdir(folder);
      const huge = join(cwd, "huge.json");
      await writeFile(huge, "");
      await truncate(huge, MAX_CONFIG_FILE_BYTES + 1);
      const expected: [string, string][] = [
        [fifo, "not a regular file (a FIFO)"],
        [toFifo, "not a regular file (a FIFO)"],
        ["/dev/zero", "not a regular file (a character device)"],
        [folder, "is a directory, not a file"],
        [huge, `too large (${MAX_CONFIG_FILE_BYTES + 1} bytes; at most ${MAX_CONFIG_FILE_BYTES})`],
      ];
      for (const [path, reason] of expected) {
        const result = await runCliWithin(["run", "--server", url, "--config", path]);
        assert.equal(result.code, 2, result.stderr);
        assert.equal(result.stdout, "");
        assert.deepEqual(linesOf(result.stderr), [`voxbench: --config ${path}: ${reason}`]);
      }
      // Found in the working directory rather than named: refused the same way, not skipped.
      execFileSync("mkfifo", [join(cwd, "voxbench.config.json")]);
      const implicit = await runCliWithin(["run", "--server", url], { cwd });
      assert.equal(implicit.code, 2, implicit.stderr);
      assert.equal(implicit.stdout, "");
      assert.deepEqual(linesOf(implicit.stderr), [
        "voxbench: --config voxbench.config.json: not a regular file (a FIFO)",
      ]);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  test("a config file that starts with a UTF-8 byte-order mark is read", async () => {
    const path = join(dir, "with-bom.json");
    const options = {
      server: url,
      concurrency: 1,
      requests: 1,
      simple: 1,
      tools: 0,
      interruptions: 0,
      falseAlarms: 0,
      thinkTime: 0,
      export: false,
      quiet: true,
    };
    await writeFile(path, `\ufeff${JSON.stringify(options, null, 2)}\r\n`);
    const result = await runCliWithin(["--config", path], { cwd: REPO_ROOT });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Total Requests: {6}1/);
  });

  test("control characters in the config's path and keys are shown as escapes", async () => {
    const path = join(dir, "odd\u001b[2J\n.json");
    await writeFile(path, JSON.stringify({ "\u001b]0;x\u0007zz": 1 }));
    const result = await runCliWithin(["--config", path]);
    assert.equal(result.code, 2);
    assert.deepEqual(linesOf(result.stderr), [
      `voxbench: ${dir}/odd\\u001b[2J\\u000a.json: unknown key "\\u001b]0;x\\u0007zz"`,
    ]);
  });
});
