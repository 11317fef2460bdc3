import { describe, test } from "node:test";
import { inTempDir, makeFifo } from "../helpers/temp-files.ts";
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { isDeno, REPO_ROOT, runCli } from "../helpers/cli.ts";
import { buildWav, sineWave } from "../helpers/wav-builder.ts";
import { linesOf, runCliWithin } from "../helpers/hang-guard.ts";

const FIXTURE = join(REPO_ROOT, "fixtures", "query_01_balance.wav");

/** A control character that reached the output unescaped (newlines between lines excepted). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe("voxbench audio", () => {
  test("reports good files and a one-line error for bad ones, then exits 2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "voxbench-audio-"));
    try {
      const stereo = join(dir, "stereo.wav");
      await writeFile(
        stereo,
        buildWav({
          channels: [sineWave(300, 44100, 500), sineWave(300, 44100, 500)],
          sampleRateHz: 44100,
          encoding: "float",
          bitDepth: 32,
        }),
      );
      const adpcm = join(dir, "adpcm.wav");
      await writeFile(
        adpcm,
        buildWav({
          channels: [[0]],
          sampleRateHz: 8000,
          encoding: "raw",
          bitDepth: 4,
          formatTag: 0x11,
          rawData: new Uint8Array(64),
        }),
      );
      const result = await runCli([
        "audio",
        "fixtures/query_01_balance.wav",
        adpcm,
        stereo,
        "test/fixtures/seed-samples/noise_0_3s_uh.wav",
      ]);
      assert.equal(result.code, 2);
      assert.match(
        result.stdout,
        /fixtures\/query_01_balance\.wav\n {2}format {5}RIFF\/WAVE pcm 16-bit, 1 ch, 16000 Hz/,
      );
      assert.match(result.stdout, /stereo\.wav\n {2}format {5}RIFF\/WAVE float 32-bit, 2 ch, 44100 Hz/);
      assert.match(result.stdout, /chunks: JUNK, fmt, FLLR, data/);
      assert.match(result.stdout, /sent as {4}pcm16 @ 16000 Hz/);
      assert.deepEqual(result.stderr.trim().split("\n"), [
        `voxbench: ${adpcm}: unsupported WAV encoding: IMA ADPCM (format 0x0011); convert it to PCM first, e.g. \`sox in.wav -e signed-integer -b 16 out.wav\``,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("--json prints one object per file with the documented fields", async () => {
    const result = await runCli([
      "audio",
      "--json",
      "--encoding",
      "mulaw",
      "fixtures/noise_03_cough.wav",
      "fixtures/tool_01_balance.wav",
      "missing.wav",
    ]);
    assert.equal(result.code, 2);
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    const [cough, tool, missing] = lines as [
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    for (const report of [cough, tool]) {
      for (
        const field of [
          "file",
          "sampleRate",
          "channels",
          "bitDepth",
          "durationMs",
          "rmsDbfs",
          "speechSegments",
        ]
      ) {
        assert.ok(field in report, `missing ${field}`);
      }
      assert.deepEqual(report.conversion && (report.conversion as { sampleRate: number }).sampleRate, 8000);
    }
    assert.equal(cough.durationMs, 320);
    assert.ok(Array.isArray(tool.speechSegments) && tool.speechSegments.length >= 1);
    assert.deepEqual(missing, { file: "missing.wav", error: "file not found" });
  });

  test("a valid file alone exits 0", async () => {
    const result = await runCli(["audio", "fixtures/bot_01_balance.wav"]);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, "");
  });

  test("bad options are one line and exit 2", async () => {
    for (
      const args of [
        ["audio", "fixtures/bot_01_balance.wav", "--encoding", "mulaw", "--sample-rate", "16000"],
        ["audio", "fixtures/bot_01_balance.wav", "--sample-rate", "fast"],
        ["audio", "fixtures/bot_01_balance.wav", "--encoding", "opus"],
        ["audio", "fixtures/bot_01_balance.wav", "--colour"],
        ["frobnicate"],
      ]
    ) {
      const result = await runCli(args);
      assert.equal(result.code, 2, args.join(" "));
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, /^voxbench: /);
    }
  });

  test("--help and --version", async () => {
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /audio <\.\.\.files>/);
    const version = await runCli(["--version"]);
    assert.equal(version.code, 0);
    // The runtime's own version: on Deno, Deno's (process.version there is the Node it emulates).
    const denoVersion = (globalThis as { Deno?: { version: { deno: string } } }).Deno?.version.deno;
    const runtime = isDeno ? `deno-${denoVersion}` : `node-${process.versions.node}`;
    assert.equal(version.stdout, `voxbench/0.1.0 ${process.platform}-${process.arch} ${runtime}\n`);
  });

  test("a FIFO, /dev/zero, a directory and a symlink to a FIFO are one line each, exit 2, at once", async () => {
    await inTempDir(async (dir) => {
      const fifo = join(dir, "query_fifo.wav");
      makeFifo(fifo);
      const folder = join(dir, "folder.wav");
      await mkdir(folder);
      const link = join(dir, "query_link.wav");
      await symlink(fifo, link);
      const expected: [string, string][] = [
        [fifo, "not a regular file (a FIFO)"],
        ["/dev/zero", "not a regular file (a character device)"],
        [folder, "is a directory, not a file"],
        [link, "not a regular file (a FIFO)"],
      ];
      for (const [file, reason] of expected) {
        const result = await runCliWithin(["audio", file]);
        assert.equal(result.code, 2, result.stderr);
        assert.equal(result.stdout, "");
        assert.deepEqual(linesOf(result.stderr), [`voxbench: ${file}: ${reason}`]);
      }
      // Among good files: each bad one is reported, the good one still inspected.
      const mixed = await runCliWithin(["audio", "--json", fifo, FIXTURE, "/dev/zero"]);
      assert.equal(mixed.code, 2);
      const reports = linesOf(mixed.stdout).map((line) =>
        JSON.parse(line) as { file: string; error?: string; sampleRate?: number }
      );
      assert.deepEqual(reports[0], { file: fifo, error: "not a regular file (a FIFO)" });
      assert.equal(reports[1]?.sampleRate, 16000);
      assert.deepEqual(reports[2], { file: "/dev/zero", error: "not a regular file (a character device)" });
    });
  });

  test("control characters in file names are shown as escapes, never sent to the terminal", async () => {
    await inTempDir(async (dir) => {
      // ESC sequences that would clear the screen and set the window title, a BEL, a newline and a
      // right-to-left override; mkdtemp's own folder name holds none of these.
      const good = join(dir, "query_\u001b[2J\u001b]0;owned\u0007\nline\u202eevil.wav");
      await copyFile(FIXTURE, good);
      const missing = join(dir, "gone\u001b[31m\r\u009b.wav");
      const result = await runCliWithin(["audio", good, missing]);
      assert.equal(result.code, 2);
      for (const output of [result.stdout, result.stderr]) {
        assert.doesNotMatch(output, RAW_CONTROL, "a raw control character was printed");
      }
      assert.equal(
        linesOf(result.stdout)[0],
        `${dir}/query_\\u001b[2J\\u001b]0;owned\\u0007\\u000aline\\u202eevil.wav`,
      );
      assert.match(result.stdout, /\n {2}format {5}RIFF\/WAVE pcm 16-bit/);
      assert.deepEqual(linesOf(result.stderr), [
        `voxbench: ${dir}/gone\\u001b[31m\\u000d\\u009b.wav: file not found`,
      ]);

      // --json: one parseable line per file, giving back the real names.
      const json = await runCliWithin(["audio", "--json", good, missing]);
      assert.doesNotMatch(
        json.stdout,
        RAW_CONTROL,
        "JSON.stringify leaves C1 controls raw: they must be escaped too",
      );
      const reports = linesOf(json.stdout).map((line) =>
        JSON.parse(line) as { file: string; error?: string }
      );
      assert.deepEqual(reports.map((report) => report.file), [good, missing]);
      assert.equal(reports[1]?.error, "file not found");
    });
  });
});

describe("--audio-dir with entries that are not regular files", () => {
  // Nothing listens on port 9 (discard): had the run started, it would fail to connect instead.
  const RUN = [
    "run",
    "--server",
    "ws://127.0.0.1:9/ws",
    "--requests",
    "1",
    "--concurrency",
    "1",
    "--no-export",
    "--quiet",
  ];

  test("a FIFO or a symlink to a FIFO named for a role stops the run before it starts", async () => {
    await inTempDir(async (dir) => {
      await copyFile(FIXTURE, join(dir, "query_00.wav"));
      makeFifo(join(dir, "query_01.wav"));
      const first = await runCliWithin([...RUN, "--audio-dir", dir]);
      assert.equal(first.code, 2, first.stdout + first.stderr);
      assert.equal(first.stdout, "");
      assert.deepEqual(linesOf(first.stderr), [
        `voxbench: ${join(dir, "query_01.wav")}: not a regular file (a FIFO)`,
      ]);

      await rm(join(dir, "query_01.wav"));
      makeFifo(join(dir, "elsewhere"));
      await symlink(join(dir, "elsewhere"), join(dir, "query_02.wav"));
      const second = await runCliWithin([...RUN, "--audio-dir", dir]);
      assert.equal(second.code, 2, second.stdout + second.stderr);
      assert.equal(second.stdout, "");
      assert.deepEqual(linesOf(second.stderr), [
        `voxbench: ${join(dir, "query_02.wav")}: not a regular file (a FIFO)`,
      ]);
    });
  });

  test("a symlink to /dev/zero, a directory named for a role and a FIFO manifest.json are refused", async () => {
    await inTempDir(async (dir) => {
      await copyFile(FIXTURE, join(dir, "query_00.wav"));
      await symlink("/dev/zero", join(dir, "tool_01.wav"));
      const zero = await runCliWithin([...RUN, "--audio-dir", dir]);
      assert.equal(zero.code, 2);
      assert.deepEqual(linesOf(zero.stderr), [
        `voxbench: ${join(dir, "tool_01.wav")}: not a regular file (a character device)`,
      ]);

      await rm(join(dir, "tool_01.wav"));
      await mkdir(join(dir, "noise_01.wav"));
      const folder = await runCliWithin([...RUN, "--audio-dir", dir]);
      assert.equal(folder.code, 2);
      assert.deepEqual(linesOf(folder.stderr), [
        `voxbench: ${join(dir, "noise_01.wav")}: is a directory, not a file`,
      ]);

      await rm(join(dir, "noise_01.wav"), { recursive: true });
      makeFifo(join(dir, "manifest.json"));
      const manifest = await runCliWithin([...RUN, "--audio-dir", dir]);
      assert.equal(manifest.code, 2);
      assert.deepEqual(linesOf(manifest.stderr), [
        `voxbench: ${join(dir, "manifest.json")}: not a regular file (a FIFO)`,
      ]);
    });
  });
});
