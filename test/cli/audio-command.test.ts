import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { isDeno, runCli } from "../helpers/cli.ts";
import { buildWav, sineWave } from "../helpers/wav-builder.ts";

describe("voxbench audio", () => {
  test("reports good files and a one-line error for bad ones, then exits 2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "voxbench-audio-"));
    try {
      const stereo = join(dir, "stereo.wav");
      await writeFile(stereo, buildWav({ channels: [sineWave(300, 44100, 500), sineWave(300, 44100, 500)], sampleRateHz: 44100, encoding: "float", bitDepth: 32 }));
      const adpcm = join(dir, "adpcm.wav");
      await writeFile(adpcm, buildWav({ channels: [[0]], sampleRateHz: 8000, encoding: "raw", bitDepth: 4, formatTag: 0x11, rawData: new Uint8Array(64) }));
      const result = await runCli(["audio", "fixtures/query_01_balance.wav", adpcm, stereo, "test/fixtures/seed-samples/noise_0_3s_uh.wav"]);
      assert.equal(result.code, 2);
      assert.match(result.stdout, /fixtures\/query_01_balance\.wav\n  format {5}RIFF\/WAVE pcm 16-bit, 1 ch, 16000 Hz/);
      assert.match(result.stdout, /stereo\.wav\n  format {5}RIFF\/WAVE float 32-bit, 2 ch, 44100 Hz/);
      assert.match(result.stdout, /chunks: JUNK, fmt, FLLR, data/);
      assert.match(result.stdout, /sent as {4}pcm16 @ 16000 Hz/);
      assert.deepEqual(result.stderr.trim().split("\n"), [`voxbench: ${adpcm}: unsupported WAV encoding: IMA ADPCM (format 0x0011); convert it to PCM first, e.g. \`sox in.wav -e signed-integer -b 16 out.wav\``]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("--json prints one object per file with the documented fields", async () => {
    const result = await runCli(["audio", "--json", "--encoding", "mulaw", "fixtures/noise_03_cough.wav", "fixtures/tool_01_balance.wav", "missing.wav"]);
    assert.equal(result.code, 2);
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(lines.length, 3);
    const [cough, tool, missing] = lines as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    for (const report of [cough, tool]) {
      for (const field of ["file", "sampleRate", "channels", "bitDepth", "durationMs", "rmsDbfs", "speechSegments"]) {
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
    for (const args of [
      ["audio", "fixtures/bot_01_balance.wav", "--encoding", "mulaw", "--sample-rate", "16000"],
      ["audio", "fixtures/bot_01_balance.wav", "--sample-rate", "fast"],
      ["audio", "fixtures/bot_01_balance.wav", "--encoding", "opus"],
      ["audio", "fixtures/bot_01_balance.wav", "--colour"],
      ["frobnicate"],
    ]) {
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
});
