/**
 * WAV files and audio folders that are not what they seem: FIFOs (which block a reader forever),
 * /dev/zero (which never ends), sockets, directories, symbolic links to any of them, and files too
 * large to be speech. Each must be refused at once with the file's name and the reason.
 */
import { describe, test } from "node:test";
import { inTempDir, makeFifo } from "../helpers/temp-files.ts";
import assert from "node:assert/strict";
import { copyFile, mkdir, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AudioError } from "../../src/audio/audio-error.ts";
import { inspectAudioFile } from "../../src/audio/inspect.ts";
import { loadAudioLibrary, MAX_MANIFEST_BYTES } from "../../src/audio/library.ts";
import { loadWavFile, MAX_WAV_FILE_BYTES } from "../../src/audio/load-file.ts";
import { UsageError } from "../../src/common/errors.ts";
import { formatAudioInspection } from "../../src/report/audio-inspection.ts";
import { showControlCharacters } from "../../src/common/printable.ts";

const FIXTURE = fileURLToPath(new URL("../../fixtures/query_01_balance.wav", import.meta.url));

/** Generous: each load takes milliseconds; only a blocked read comes near it. */
const HANG_GUARD_MS = 20_000;

/** Settles like `promise`, or rejects when it has not settled in time (a read that blocks). */
async function withinGuard<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} had not settled after ${HANG_GUARD_MS} ms (it hangs)`)),
      HANG_GUARD_MS,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks that loading `path` fails with an AudioError naming it and giving `reason`. */
async function assertAudioError(path: string, reason: string | RegExp): Promise<void> {
  await assert.rejects(withinGuard(loadWavFile(path), `loadWavFile(${path})`), (error: unknown) => {
    assert.ok(error instanceof AudioError, String(error));
    assert.equal(error.file, path);
    if (typeof reason === "string") assert.equal(error.reason, reason);
    else assert.match(error.reason, reason);
    return true;
  });
}

/** Checks that loading the folder fails with a UsageError whose whole message is `message`. */
async function assertLibraryError(dir: string, message: string): Promise<void> {
  await assert.rejects(withinGuard(loadAudioLibrary(dir), `loadAudioLibrary(${dir})`), (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.equal(error.message, message);
    return true;
  });
}

describe("loadWavFile refuses what is not a regular file, without reading it", () => {
  test("a FIFO, /dev/zero, a directory and symbolic links to them", async () => {
    await inTempDir(async (dir) => {
      const fifo = join(dir, "clip.wav");
      makeFifo(fifo);
      await assertAudioError(fifo, "not a regular file (a FIFO)");
      await assertAudioError("/dev/zero", "not a regular file (a character device)");
      const folder = join(dir, "folder.wav");
      await mkdir(folder);
      await assertAudioError(folder, "is a directory, not a file");
      const toFifo = join(dir, "to-fifo.wav");
      await symlink(fifo, toFifo);
      await assertAudioError(toFifo, "not a regular file (a FIFO)");
      const toZero = join(dir, "to-zero.wav");
      await symlink("/dev/zero", toZero);
      await assertAudioError(toZero, "not a regular file (a character device)");
      const dangling = join(dir, "dangling.wav");
      await symlink(join(dir, "nothing-here.wav"), dangling);
      await assertAudioError(dangling, "file not found");
    });
  });

  test("a socket", async () => {
    await inTempDir(async (dir) => {
      const path = join(dir, "socket.wav");
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(path, resolve);
      });
      try {
        await assertAudioError(path, "not a regular file (a socket)");
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });

  test("a file larger than MAX_WAV_FILE_BYTES is refused before it is read; a regular file still loads", async () => {
    assert.equal(MAX_WAV_FILE_BYTES, 64 * 1024 * 1024);
    await inTempDir(async (dir) => {
      const huge = join(dir, "huge.wav");
      await writeFile(huge, "");
      await truncate(huge, MAX_WAV_FILE_BYTES + 1); // sparse: takes no disk space
      await assertAudioError(
        huge,
        `too large (${MAX_WAV_FILE_BYTES + 1} bytes; at most ${MAX_WAV_FILE_BYTES})`,
      );
      const link = join(dir, "link.wav");
      await symlink(FIXTURE, link);
      const { info } = await withinGuard(loadWavFile(link), "loadWavFile(link)");
      assert.equal(info.sampleRateHz, 16000);
    });
  });

  test("inspectAudioFile reports it as the file's error instead of throwing", async () => {
    await inTempDir(async (dir) => {
      const fifo = join(dir, "query_01.wav");
      makeFifo(fifo);
      const target = { encoding: "pcm16", sampleRateHz: 16000 } as const;
      assert.deepEqual(await withinGuard(inspectAudioFile(fifo, target), "inspectAudioFile(fifo)"), {
        file: fifo,
        error: "not a regular file (a FIFO)",
      });
      assert.deepEqual(
        await withinGuard(inspectAudioFile("/dev/zero", target), "inspectAudioFile(/dev/zero)"),
        {
          file: "/dev/zero",
          error: "not a regular file (a character device)",
        },
      );
    });
  });
});

describe("loadAudioLibrary with entries that are not regular files", () => {
  test("a FIFO named for a role, or a symlink named for a role to a FIFO, is an error naming it", async () => {
    await inTempDir(async (dir) => {
      await copyFile(FIXTURE, join(dir, "query_00.wav"));
      makeFifo(join(dir, "query_01.wav"));
      await assertLibraryError(dir, `${join(dir, "query_01.wav")}: not a regular file (a FIFO)`);
      await rm(join(dir, "query_01.wav"));
      makeFifo(join(dir, "fifo"));
      await symlink(join(dir, "fifo"), join(dir, "query_02.wav"));
      await assertLibraryError(dir, `${join(dir, "query_02.wav")}: not a regular file (a FIFO)`);
    });
  });

  test("a symlink to /dev/zero and a directory named for a role are errors naming them", async () => {
    await inTempDir(async (dir) => {
      await copyFile(FIXTURE, join(dir, "query_00.wav"));
      await symlink("/dev/zero", join(dir, "noise_01.wav"));
      await assertLibraryError(dir, `${join(dir, "noise_01.wav")}: not a regular file (a character device)`);
      await rm(join(dir, "noise_01.wav"));
      await mkdir(join(dir, "tool_01.wav"));
      await assertLibraryError(dir, `${join(dir, "tool_01.wav")}: is a directory, not a file`);
    });
  });

  test("a FIFO whose name matches no role is never opened: the load succeeds", async () => {
    await inTempDir(async (dir) => {
      await copyFile(FIXTURE, join(dir, "query_00.wav"));
      makeFifo(join(dir, "notes.wav"));
      makeFifo(join(dir, "README"));
      const library = await withinGuard(loadAudioLibrary(dir), "loadAudioLibrary");
      assert.deepEqual(library.assets.map((asset) => asset.name), ["query_00.wav"]);
      assert.deepEqual(library.ignoredFiles, ["notes.wav"]);
    });
  });

  test("manifest.json: a FIFO, a symlink to /dev/zero or an oversized file is refused; a byte-order mark is accepted", async () => {
    await inTempDir(async (dir) => {
      await copyFile(FIXTURE, join(dir, "speech.wav"));
      const manifest = join(dir, "manifest.json");
      makeFifo(manifest);
      await assertLibraryError(dir, `${manifest}: not a regular file (a FIFO)`);
      await rm(manifest);
      await symlink("/dev/zero", manifest);
      await assertLibraryError(dir, `${manifest}: not a regular file (a character device)`);
      await rm(manifest);
      await writeFile(manifest, "");
      await truncate(manifest, MAX_MANIFEST_BYTES + 1);
      await assertLibraryError(
        dir,
        `${manifest}: too large (${MAX_MANIFEST_BYTES + 1} bytes; at most ${MAX_MANIFEST_BYTES})`,
      );
      await writeFile(
        manifest,
        `\ufeff${JSON.stringify({ files: [{ file: "speech.wav", role: "tool", transcript: "hello" }] })}`,
      );
      const library = await withinGuard(loadAudioLibrary(dir), "loadAudioLibrary");
      assert.deepEqual(library.byRole("tool").map((asset) => asset.transcript), ["hello"]);
    });
  });

  test("names in its messages show their control characters as escapes", async () => {
    await inTempDir(async (dir) => {
      await copyFile(FIXTURE, join(dir, "query_00.wav"));
      makeFifo(join(dir, "query_\u001b[2J\n.wav"));
      await assertLibraryError(dir, `${dir}/query_\\u001b[2J\\u000a.wav: not a regular file (a FIFO)`);
      await assertLibraryError(
        join(dir, "gone\u0007"),
        `--audio-dir ${dir}/gone\\u0007 does not exist or cannot be read`,
      );
    });
  });
});

describe("showControlCharacters", () => {
  test("controls, DEL, C1 controls, line separators and bidirectional overrides become \\u escapes", () => {
    assert.equal(
      showControlCharacters("a\u001b[31mb\nc\r\td\u0000"),
      "a\\u001b[31mb\\u000ac\\u000d\\u0009d\\u0000",
    );
    assert.equal(
      showControlCharacters("x\u007fy\u009bz\u2028\u202eevil\u2066"),
      "x\\u007fy\\u009bz\\u2028\\u202eevil\\u2066",
    );
  });

  test("ordinary names, including accents, emoji and backslashes, are unchanged", () => {
    for (const name of ["query_01.wav", "réponse été.wav", "😀 clip.wav", "C:\\clips\\a.wav", "日本語.wav"]) {
      assert.equal(showControlCharacters(name), name);
    }
  });

  test("applied to a JSON line it stays JSON with the same value", () => {
    const value = { file: "a\u001b\u009b\u202e\u2028.wav" };
    const line = showControlCharacters(JSON.stringify(value));
    assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u202e]/);
    assert.deepEqual(JSON.parse(line), value);
  });

  test("formatAudioInspection escapes the file name, the error and chunk ids", () => {
    assert.equal(
      formatAudioInspection({ file: "bad\u001b[2J.wav", error: "not a WAV file" }),
      "bad\\u001b[2J.wav\n  error      not a WAV file",
    );
    const text = formatAudioInspection({
      file: "a\n.wav",
      container: "RIFF/WAVE",
      encoding: "pcm",
      extensible: false,
      chunks: ["fmt ", "\u001b[2J", "data"],
      channels: 1,
      sampleRate: 16000,
      bitDepth: 16,
      durationMs: 1000,
      rmsDbfs: -20,
      speechSegments: [],
      speechMs: 0,
    });
    assert.equal(text.split("\n")[0], "a\\u000a.wav");
    assert.match(text, /\[chunks: fmt, \\u001b\[2J, data\]/);
    assert.doesNotMatch(text, /\u001b/);
  });
});
