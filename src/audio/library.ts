import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Random } from "../common/random.ts";
import { UsageError } from "../common/errors.ts";
import { FileReadError, readTextFile } from "../common/read-file.ts";
import { showControlCharacters } from "../common/printable.ts";
import { AUDIO_ROLES, AudioAsset, type AudioRole } from "./asset.ts";
import { AudioError } from "./audio-error.ts";
import { loadWavFile } from "./load-file.ts";
import { silence } from "./silence.ts";

/**
 * The clips a run speaks, by role, each decoded once. Built from a directory (with a
 * manifest.json, or by file names, including load_test.py's `query_2s_*` names) or from silence.
 */
export interface AudioLibrary {
  /** Where the clips came from: a directory, or "silence". */
  readonly source: string;
  readonly assets: readonly AudioAsset[];
  /** WAV files in the directory whose names match no role. */
  readonly ignoredFiles: readonly string[];
  byRole(role: AudioRole): readonly AudioAsset[];
  /** A clip of the role, chosen with `random`; throws a UsageError when the role has none. */
  pick(role: AudioRole, random: Random): AudioAsset;
}

interface ManifestEntry {
  file: string;
  role: AudioRole;
  transcript?: string;
}

/** The largest manifest.json read: a list of file names, roles and transcripts is a few kilobytes. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** The speech fixtures shipped with voxbench. */
export function bundledFixturesDir(): string {
  // Both src/audio/library.ts and dist/audio/library.js sit two levels below the package root.
  return fileURLToPath(new URL("../../fixtures/", import.meta.url));
}

/** Old load_test.py names first: they also start with "query_". */
const ROLE_BY_NAME: readonly [RegExp, AudioRole][] = [
  [/^query_1_5s_/i, "interrupt"],
  [/^query_2s_/i, "query"],
  [/^query_3s_/i, "tool"],
  [/^noise_/i, "noise"],
  [/^query[_-]/i, "query"],
  [/^tool[_-]/i, "tool"],
  [/^interrupt[_-]/i, "interrupt"],
  [/^bot[_-]/i, "bot"],
];

/**
 * The role a file name implies, or undefined.
 *
 * @example
 * ```ts
 * import { roleFromFileName } from "./library.ts";
 * console.log(roleFromFileName("query_3s_email.wav"), roleFromFileName("interrupt_01_card.wav")); // "tool" "interrupt"
 * ```
 */
export function roleFromFileName(fileName: string): AudioRole | undefined {
  return ROLE_BY_NAME.find(([pattern]) => pattern.test(fileName))?.[1];
}

/**
 * Loads every clip of a directory. With a manifest.json (see fixtures/), roles come from it;
 * otherwise from file names. Any file that cannot be decoded stops the load with its reason:
 * a run never speaks a mis-decoded clip. An entry the load would use that is not a regular file
 * (a FIFO, a device, a socket, a directory, or a symbolic link to one) is such a file: it is
 * refused at once, never read, so it can neither hang the run nor fill memory. Names in messages
 * have their control characters made visible.
 *
 * @throws {UsageError} for a missing or empty directory, a bad manifest, or an unreadable or
 * undecodable file.
 * @example
 * ```ts
 * import { bundledFixturesDir, loadAudioLibrary } from "./library.ts";
 * const library = await loadAudioLibrary(bundledFixturesDir());
 * console.log(library.byRole("query").length >= 4); // true
 * ```
 */
export async function loadAudioLibrary(dir: string): Promise<AudioLibrary> {
  const shownDir = showControlCharacters(dir);
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new UsageError(`--audio-dir ${shownDir} is not a directory`);
    names = (await readdir(dir)).sort();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--audio-dir ${shownDir} does not exist or cannot be read`);
  }
  const wavNames = names.filter((name) => name.toLowerCase().endsWith(".wav"));
  const entries = names.includes("manifest.json")
    ? await readManifest(join(dir, "manifest.json"))
    : undefined;
  const ignoredFiles: string[] = [];
  const wanted: ManifestEntry[] = [];
  if (entries) {
    wanted.push(...entries);
  } else {
    for (const file of wavNames) {
      const role = roleFromFileName(file);
      if (role) wanted.push({ file, role });
      else ignoredFiles.push(file);
    }
  }
  if (wanted.length === 0) {
    throw new UsageError(
      `--audio-dir ${shownDir} has no usable WAV files (name them query_*, tool_*, interrupt_*, noise_*, or add a manifest.json)`,
    );
  }
  const assets: AudioAsset[] = [];
  for (const entry of wanted) {
    const path = join(dir, entry.file);
    try {
      const decoded = await loadWavFile(path);
      assets.push(
        new AudioAsset({
          name: basename(entry.file),
          role: entry.role,
          clip: decoded.clip,
          path,
          info: decoded.info,
          ...(entry.transcript !== undefined ? { transcript: entry.transcript } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof AudioError) {
        throw new UsageError(`${showControlCharacters(error.file)}: ${error.reason}`);
      }
      throw error;
    }
  }
  return createLibrary(dir, assets, ignoredFiles);
}

async function readManifest(manifestPath: string): Promise<ManifestEntry[]> {
  const shownPath = showControlCharacters(manifestPath);
  let text: string;
  try {
    text = await readTextFile(manifestPath, { maxBytes: MAX_MANIFEST_BYTES });
  } catch (error) {
    if (error instanceof FileReadError) throw new UsageError(`${shownPath}: ${error.reason}`);
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the text around the mistake, which may hold control characters too.
    throw new UsageError(
      `${shownPath}: not valid JSON (${
        showControlCharacters(error instanceof Error ? error.message : String(error))
      })`,
    );
  }
  const files = (parsed as { files?: unknown }).files;
  if (!Array.isArray(files)) throw new UsageError(`${shownPath}: expected {"files": [...]}`);
  return files.map((entry: unknown, index: number) => {
    const { file, role, transcript } = (entry ?? {}) as Record<string, unknown>;
    if (typeof file !== "string" || file.includes("/") || file.includes("\\")) {
      throw new UsageError(`${shownPath}: files[${index}].file must be a file name in the same directory`);
    }
    if (typeof role !== "string" || !AUDIO_ROLES.includes(role as AudioRole)) {
      throw new UsageError(`${shownPath}: files[${index}].role must be one of ${AUDIO_ROLES.join(", ")}`);
    }
    return { file, role: role as AudioRole, ...(typeof transcript === "string" ? { transcript } : {}) };
  });
}

/** Durations of load_test.py's zeros, per role. */
export const SILENCE_DURATIONS_MS: Readonly<Record<Exclude<AudioRole, "bot">, number>> = {
  query: 2000,
  tool: 3000,
  interrupt: 1500,
  noise: 300,
};

/**
 * load_test.py's audio: digital silence of 2 s (query), 3 s (tool), 1.5 s (interrupt) and
 * 300 ms (noise). Real bots' speech recognition hears nothing in it; use it to reproduce old runs.
 *
 * @example
 * ```ts
 * import { silenceLibrary } from "./library.ts";
 * console.log(silenceLibrary().byRole("tool")[0]?.durationMs); // 3000
 * ```
 */
export function silenceLibrary(sampleRateHz = 16000): AudioLibrary {
  const assets = Object.entries(SILENCE_DURATIONS_MS).map(
    ([role, durationMs]) =>
      new AudioAsset({
        name: `silence_${durationMs}ms`,
        role: role as AudioRole,
        clip: silence(durationMs, { sampleRateHz }),
      }),
  );
  return createLibrary("silence", assets, []);
}

/** Builds a library over already-decoded assets (also how scripts add their own clips). */
export function createLibrary(
  source: string,
  assets: readonly AudioAsset[],
  ignoredFiles: readonly string[] = [],
): AudioLibrary {
  const byRole = new Map<AudioRole, AudioAsset[]>();
  for (const asset of assets) {
    const list = byRole.get(asset.role) ?? [];
    list.push(asset);
    byRole.set(asset.role, list);
  }
  return {
    source,
    assets,
    ignoredFiles,
    byRole: (role) => byRole.get(role) ?? [],
    pick: (role, random) => {
      const candidates = byRole.get(role);
      if (!candidates || candidates.length === 0) {
        throw new UsageError(`audio source ${source} has no "${role}" clips`);
      }
      return candidates[random.index(candidates.length)]!;
    },
  };
}
