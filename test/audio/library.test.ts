import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../src/common/errors.ts";
import { createRandom } from "../../src/common/random.ts";
import {
  bundledFixturesDir,
  loadAudioLibrary,
  roleFromFileName,
  silenceLibrary,
} from "../../src/audio/library.ts";

const SEED_DIR = fileURLToPath(new URL("../fixtures/seed-samples/", import.meta.url));

describe("audio library", () => {
  test("the bundled fixtures load by manifest with every role", async () => {
    const library = await loadAudioLibrary(bundledFixturesDir());
    assert.ok(library.byRole("query").length >= 4);
    assert.ok(library.byRole("tool").length >= 2);
    assert.ok(library.byRole("interrupt").length >= 2);
    assert.ok(library.byRole("noise").length >= 2);
    assert.ok(library.byRole("bot").length >= 1);
    for (const asset of library.byRole("query")) {
      assert.ok(asset.durationMs >= 1500 && asset.durationMs <= 2500);
    }
    for (const asset of library.byRole("tool")) {
      assert.ok(asset.durationMs >= 2700 && asset.durationMs <= 3500);
    }
    for (const asset of library.byRole("interrupt")) {
      assert.ok(asset.durationMs >= 1300 && asset.durationMs <= 1700);
    }
    for (const asset of library.byRole("noise")) assert.ok(asset.durationMs < 500);
    assert.ok(library.assets.every((asset) => asset.transcript !== undefined));
  });

  test("the manifest's durations agree with the audio", async () => {
    const { readFile } = await import("node:fs/promises");
    const manifest = JSON.parse(await readFile(join(bundledFixturesDir(), "manifest.json"), "utf8")) as {
      files: { file: string; durationMs: number }[];
    };
    const library = await loadAudioLibrary(bundledFixturesDir());
    for (const entry of manifest.files) {
      const asset = library.assets.find((candidate) => candidate.name === entry.file);
      assert.ok(asset, entry.file);
      assert.ok(
        Math.abs(asset.durationMs - entry.durationMs) <= 1,
        `${entry.file}: ${asset.durationMs} vs ${entry.durationMs}`,
      );
    }
  });

  test("the old script's file names map to roles; durations come from the audio", async () => {
    const library = await loadAudioLibrary(SEED_DIR);
    assert.deepEqual(library.byRole("query").map((asset) => asset.name).sort(), [
      "query_2s_balance.wav",
      "query_2s_help.wav",
      "query_2s_services.wav",
      "query_2s_transactions.wav",
    ]);
    assert.equal(library.byRole("tool").length, 2);
    assert.equal(library.byRole("interrupt").length, 2);
    assert.equal(library.byRole("noise").length, 2);
    const mhmm = library.byRole("noise").find((asset) => asset.name === "noise_0_3s_mhmm.wav");
    assert.equal(Math.round(mhmm!.durationMs), 937);
  });

  test("roleFromFileName", () => {
    assert.equal(roleFromFileName("query_1_5s_another.wav"), "interrupt");
    assert.equal(roleFromFileName("query_2s_help.wav"), "query");
    assert.equal(roleFromFileName("query_3s_email.wav"), "tool");
    assert.equal(roleFromFileName("noise_0_3s_uh.wav"), "noise");
    assert.equal(roleFromFileName("tool-02.wav"), "tool");
    assert.equal(roleFromFileName("bot_01.wav"), "bot");
    assert.equal(roleFromFileName("hello.wav"), undefined);
  });

  test("each clip is converted once per format and shared", async () => {
    const library = await loadAudioLibrary(bundledFixturesDir());
    const asset = library.pick("query", createRandom(1));
    const format = { encoding: "mulaw" as const, sampleRateHz: 8000 };
    assert.equal(asset.encoded(format), asset.encoded(format));
    assert.equal(asset.wav(format), asset.wav(format));
    assert.notEqual(asset.encoded(format), asset.encoded({ encoding: "pcm16", sampleRateHz: 8000 }));
  });

  test("pick is reproducible with a seed", async () => {
    const library = await loadAudioLibrary(bundledFixturesDir());
    const picks = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 10 }, () => library.pick("query", random).name);
    };
    assert.deepEqual(picks(7), picks(7));
  });

  test("silence library reproduces the old zeros", () => {
    const library = silenceLibrary(16000);
    assert.equal(library.byRole("query")[0]!.durationMs, 2000);
    assert.equal(library.byRole("tool")[0]!.durationMs, 3000);
    assert.equal(library.byRole("interrupt")[0]!.durationMs, 1500);
    assert.equal(library.byRole("noise")[0]!.durationMs, 300);
    assert.ok(library.byRole("query")[0]!.clip.samples.every((sample) => sample === 0));
    assert.throws(() => library.pick("bot", createRandom(1)), UsageError);
  });

  describe("bad directories are usage errors", () => {
    test("missing directory", async () => {
      await assert.rejects(loadAudioLibrary("/nonexistent/voxbench"), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, /does not exist/);
        return true;
      });
    });
    test("empty directory, a broken WAV, a bad manifest", async () => {
      const dir = await mkdtemp(join(tmpdir(), "voxbench-lib-"));
      try {
        await assert.rejects(loadAudioLibrary(dir), /no usable WAV files/);
        await copyFile(join(SEED_DIR, "query_2s_help.wav"), join(dir, "query_2s_help.wav"));
        await writeFile(join(dir, "noise_bad.wav"), "not audio");
        await assert.rejects(loadAudioLibrary(dir), /noise_bad\.wav: not a WAV file/);
        await writeFile(join(dir, "manifest.json"), "{ nope");
        await assert.rejects(loadAudioLibrary(dir), /manifest\.json: not valid JSON/);
        await writeFile(
          join(dir, "manifest.json"),
          JSON.stringify({ files: [{ file: "query_2s_help.wav", role: "speech" }] }),
        );
        await assert.rejects(loadAudioLibrary(dir), /role must be one of/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
