import { UsageError } from "../common/errors.ts";
import { FileReadError, readTextFile } from "../common/read-file.ts";
import { showControlCharacters } from "../common/printable.ts";
import type { RawValue } from "./parse-values.ts";

/** The file `voxbench run` reads from the working directory when no --config is given. */
export const DEFAULT_CONFIG_FILE = "voxbench.config.json";

/** The largest config file read: a run's options are a few hundred bytes. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** Nested groups a config file may use instead of the flat flag names. */
const GROUPS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  weights: { simple: "simple", tools: "tools", interruptions: "interruptions", falseAlarms: "falseAlarms" },
  timeouts: {
    simple: "timeoutSimple",
    tool: "timeoutTool",
    interruption: "timeoutInterruption",
    falseAlarm: "timeoutFalseAlarm",
    connect: "connectTimeout",
  },
};

/** Config-file spellings of repeatable flags. */
const ALIASES: Readonly<Record<string, string>> = {
  thresholds: "threshold",
  headers: "header",
  params: "param",
};

function suggestion(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const match = known.find((candidate) => candidate.toLowerCase() === lower) ??
    known.find((candidate) =>
      candidate.toLowerCase().startsWith(lower.slice(0, 4)) && Math.abs(candidate.length - key.length) <= 2
    );
  return match ? ` (did you mean "${match}"?)` : "";
}

/** `"stages": [{ "duration": "30s", "target": 10 }, ...]` as the flag's `30s:10` items. */
function stagesFromConfig(value: readonly unknown[], where: string): RawValue {
  return value.map((item, index) => {
    if (typeof item === "string") return item;
    const stage = typeof item === "object" && item !== null ? (item as Record<string, unknown>) : {};
    const duration = stage.duration;
    const target = stage.target;
    if ((typeof duration !== "string" && typeof duration !== "number") || typeof target !== "number") {
      throw new UsageError(
        `${where}: stage ${index + 1} must be { "duration": "30s", "target": 10 } or "30s:10"`,
      );
    }
    return `${duration}:${target}`;
  });
}

function toRaw(value: unknown, where: string): RawValue {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value) && value.every((item) => typeof item === "string" || typeof item === "number")) {
    return value;
  }
  throw new UsageError(`${where} must be a string, a number, true/false or a list of strings`);
}

/**
 * Reads a run configuration file: a JSON object whose keys are the run flags in camelCase
 * (`concurrency`, `falseAlarms`, `timeoutTool`...), plus `thresholds` and `headers` as lists and
 * optional `weights` and `timeouts` groups. Unknown keys are errors, never silently ignored.
 * Without `explicitPath`, a missing voxbench.config.json in the working directory is not an error.
 * A path that is not a regular file (a FIFO, a device, a directory) or is larger than
 * {@link MAX_CONFIG_FILE_BYTES} is an error at once, never read; a leading UTF-8 byte-order mark is
 * skipped. The path is shown in messages with its control characters made visible.
 *
 * @throws {UsageError}
 * @example
 * ```ts
 * import { loadConfigFile } from "./config-file.ts";
 * const values = await loadConfigFile(undefined, ["concurrency"]); // {} without a voxbench.config.json
 * ```
 */
export async function loadConfigFile(
  explicitPath: string | undefined,
  knownKeys: readonly string[],
): Promise<Record<string, RawValue>> {
  const filePath = explicitPath ?? DEFAULT_CONFIG_FILE;
  const shownPath = showControlCharacters(filePath);
  let text: string;
  try {
    text = await readTextFile(filePath, { maxBytes: MAX_CONFIG_FILE_BYTES });
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    if (!explicitPath && error.code === "ENOENT") return {};
    throw new UsageError(`--config ${shownPath}: ${error.reason}`);
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
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${shownPath}: must hold a JSON object`);
  }
  const values: Record<string, RawValue> = {};
  const allowed = [...knownKeys, ...Object.keys(GROUPS), ...Object.keys(ALIASES)];
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key === "$schema") continue;
    const shownKey = showControlCharacters(key);
    // Own keys only: "constructor" or "toString" must not find Object.prototype's members.
    const group = Object.hasOwn(GROUPS, key) ? GROUPS[key] : undefined;
    if (group) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new UsageError(`${shownPath}: "${shownKey}" must be an object`);
      }
      for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) {
        const shownInner = showControlCharacters(inner);
        const flag = Object.hasOwn(group, inner) ? group[inner] : undefined;
        if (!flag) {
          throw new UsageError(
            `${shownPath}: unknown key "${shownKey}.${shownInner}"${
              suggestion(inner, Object.keys(group))
            }; known: ${Object.keys(group).join(", ")}`,
          );
        }
        values[flag] = toRaw(innerValue, `${shownPath}: "${shownKey}.${shownInner}"`);
      }
      continue;
    }
    const flag = (Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined) ?? key;
    if (!knownKeys.includes(flag)) {
      throw new UsageError(`${shownPath}: unknown key "${shownKey}"${suggestion(key, allowed)}`);
    }
    values[flag] = flag === "stages" && Array.isArray(value)
      ? stagesFromConfig(value, `${shownPath}: "stages"`)
      : toRaw(value, `${shownPath}: "${shownKey}"`);
  }
  return values;
}
