/**
 * A finished run is never thrown away for its export folder: a folder that cannot take the results
 * is refused before the run starts (exit 2); one that fails at the end (the disk filled up) sends
 * the results to a fallback folder named on stderr; two runs with one run id both keep theirs.
 * Read-only and full file systems are real tmpfs mounts in a private mount namespace (unshare).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/load/runner.ts";
import { writeExports } from "../../src/report/exports.ts";
import {
  type BotFixture,
  type CliResult,
  type CliRun,
  runCli,
  startBotProcess,
  startCli,
} from "../helpers/cli.ts";
import { quickLibrary } from "../helpers/test-audio.ts";

const QUICK = [
  "--concurrency",
  "1",
  "--requests",
  "2",
  "--think-time",
  "0",
  "--simple",
  "1",
  "--tools",
  "0",
  "--interruptions",
  "0",
  "--false-alarms",
  "0",
];

let bot: BotFixture;
before(async () => {
  bot = await startBotProcess("export-dir", ["--reply-delay-ms", "50", "--pace", "8", "--done-event"]);
});
after(() => bot.close());

/**
 * Starts the CLI in a private mount namespace with a tmpfs (`mountOptions`) mounted on
 * `mountPoint`; `before` is shell code run first (it sees the mount point as "$0").
 */
function startCliOnTmpfs(
  mountPoint: string,
  mountOptions: string,
  args: readonly string[],
  env: Record<string, string> = {},
  before = "",
): CliRun {
  const script = `mount -t tmpfs -o ${mountOptions} tmpfs "$0" || exit 97; ${before} exec "$@"`;
  return startCli(args, { env, wrapper: ["unshare", "-rm", "sh", "-c", script, mountPoint] });
}

function assertRefusedBeforeStart(result: CliResult, reason: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /^voxbench: --export-dir .*: cannot write the results there \(/);
  assert.match(lines[0]!, reason);
  assert.doesNotMatch(result.stdout + result.stderr, /starting callers/, "the run must not start");
}

describe("the export folder is checked before the run starts", () => {
  test("a file where the folder should be", async () => {
    const file = join(bot.dir, "a-file");
    await writeFile(file, "x");
    assertRefusedBeforeStart(
      await runCli(["--server", bot.url, ...QUICK, "--export-dir", file]),
      /it is a file, not a folder/,
    );
  });

  test("a folder under a file", async () => {
    const file = join(bot.dir, "another-file");
    await writeFile(file, "x");
    assertRefusedBeforeStart(
      await runCli(["--server", bot.url, ...QUICK, "--export-dir", join(file, "exports")]),
      /a part of the path is a file/,
    );
  });

  test("a read-only file system", async () => {
    const mountPoint = await mkdtemp(join(tmpdir(), "voxbench-ro-"));
    try {
      assertRefusedBeforeStart(
        await startCliOnTmpfs(mountPoint, "ro,size=1m", [
          "--server",
          bot.url,
          ...QUICK,
          "--export-dir",
          join(mountPoint, "exports"),
        ]).done,
        /read-only/,
      );
    } finally {
      await rm(mountPoint, { recursive: true, force: true });
    }
  });

  test("a full disk", async () => {
    const mountPoint = await mkdtemp(join(tmpdir(), "voxbench-full-"));
    try {
      assertRefusedBeforeStart(
        await startCliOnTmpfs(mountPoint, "size=16k", [
          "--server",
          bot.url,
          ...QUICK,
          "--export-dir",
          mountPoint,
        ]).done,
        /no space left/,
      );
    } finally {
      await rm(mountPoint, { recursive: true, force: true });
    }
  });
});

describe("results are never lost at the end", () => {
  test("a disk that fills up during the run: the results go to a fallback folder named on stderr", async () => {
    const mountPoint = await mkdtemp(join(tmpdir(), "voxbench-filling-"));
    const fallbackTmp = await mkdtemp(join(tmpdir(), "voxbench-fallback-"));
    try {
      // The check passes on an empty 1 MiB tmpfs; once the callers have started, a filler takes
      // every byte of it (the trigger file is outside the private mount, where this test sees it).
      const trigger = join(fallbackTmp, "fill-now");
      // (It gives up after 20 s, so a CLI that failed early cannot leave it holding the output pipes.)
      const filler =
        `( n=0; while [ ! -e '${trigger}' ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n+1)); done; cat /dev/zero > "$0/filler" 2>/dev/null ) &`;
      const cli = startCliOnTmpfs(
        mountPoint,
        "size=1m",
        ["--server", bot.url, ...QUICK, "--export-dir", mountPoint, "--run-id", "filled"],
        { TMPDIR: fallbackTmp },
        filler,
      );
      await cli.waitFor(/voxbench: starting callers/);
      await writeFile(trigger, "");
      const result = await cli.done;
      assert.equal(result.code, 0, result.stderr);
      const fallbackDir = join(fallbackTmp, "voxbench-exports", "filled");
      assert.match(
        result.stderr,
        new RegExp(
          `could not write the exports to ${mountPoint}: no space left on the device; wrote them to ${fallbackDir} instead`,
        ),
      );
      const summary = JSON.parse(await readFile(join(fallbackDir, "summary.json"), "utf8")) as {
        summary: { turns: number };
      };
      assert.equal(summary.summary.turns, 2);
      assert.equal((await readFile(join(fallbackDir, "turns.csv"), "utf8")).trim().split("\n").length, 3);
    } finally {
      await rm(mountPoint, { recursive: true, force: true });
      await rm(fallbackTmp, { recursive: true, force: true });
    }
  });

  test("two runs with one run id at once both keep their results", async () => {
    const dir = join(bot.dir, "same-id");
    const args = ["--server", bot.url, ...QUICK, "--export-dir", dir, "--run-id", "twin", "--quiet"];
    const [first, second] = await Promise.all([runCli(args), runCli(args)]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual((await readdir(dir)).sort(), ["twin", "twin-2"]);
  });

  test("writeExports racing itself on one run id: every result is kept, none overwritten", async () => {
    // Any finished run will do: this one's only turn is refused at once.
    const result = await run({
      server: "ws://127.0.0.1:9/ws",
      concurrency: 1,
      requests: 1,
      seed: 1,
      runId: "race-run",
      audioLibrary: quickLibrary(),
    });
    const dir = join(bot.dir, "race");
    await mkdir(dir);
    const paths = await Promise.all(Array.from({ length: 5 }, () => writeExports(result, dir)));
    assert.equal(new Set(paths.map((path) => path.dir)).size, 5);
    assert.deepEqual((await readdir(dir)).sort(), [
      "race-run",
      "race-run-2",
      "race-run-3",
      "race-run-4",
      "race-run-5",
    ]);
  });
});
