import { readFile } from "node:fs/promises";
import { UsageError } from "../common/errors.ts";
import type { RawValue } from "./parse-values.ts";

/** The file `voxbench run` reads from the working directory when no --config is given. */
export const DEFAULT_CONFIG_FILE = "voxbench.config.json";

/** Nested groups a config file may use instead of the flat flag names. */
const GROUPS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  weights: { simple: "simple", tools: "tools", interruptions: "interruptions", falseAlarms: "falseAlarms" },
  timeouts: { simple: "timeoutSimple", tool: "timeoutTool", interruption: "timeoutInterruption", falseAlarm: "timeoutFalseAlarm", connect: "connectTimeout" },
};

/** Config-file spellings of repeatable flags. */
const ALIASES: Readonly<Record<string, string>> = { thresholds: "threshold", headers: "header" };

function suggestion(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const match = known.find((candidate) => candidate.toLowerCase() === lower) ??
    known.find((candidate) => candidate.toLowerCase().startsWith(lower.slice(0, 4)) && Math.abs(candidate.length - key.length) <= 2);
  return match ? ` (did you mean "${match}"?)` : "";
}

function toRaw(value: unknown, where: string): RawValue {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value) && value.every((item) => typeof item === "string" || typeof item === "number")) return value;
  throw new UsageError(`${where} must be a string, a number, true/false or a list of strings`);
}

/**
 * Reads a run configuration file: a JSON object whose keys are the run flags in camelCase
 * (`concurrency`, `falseAlarms`, `timeoutTool`...), plus `thresholds` and `headers` as lists and
 * optional `weights` and `timeouts` groups. Unknown keys are errors, never silently ignored.
 * Without `explicitPath`, a missing voxbench.config.json in the working directory is not an error.
 *
 * @throws {UsageError}
 * @example
 * ```ts
 * import { loadConfigFile } from "./config-file.ts";
 * const values = await loadConfigFile(undefined, ["concurrency"]); // {} without a voxbench.config.json
 * ```
 */
export async function loadConfigFile(explicitPath: string | undefined, knownKeys: readonly string[]): Promise<Record<string, RawValue>> {
  const path = explicitPath ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (!explicitPath && (error as { code?: string }).code === "ENOENT") return {};
    throw new UsageError(`--config ${path}: cannot read it (${(error as { code?: string }).code ?? String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new UsageError(`${path}: must hold a JSON object`);
  const values: Record<string, RawValue> = {};
  const allowed = [...knownKeys, ...Object.keys(GROUPS), ...Object.keys(ALIASES)];
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (key === "$schema") continue;
    if (GROUPS[key]) {
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError(`${path}: "${key}" must be an object`);
      for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) {
        const flag = GROUPS[key]![inner];
        if (!flag) throw new UsageError(`${path}: unknown key "${key}.${inner}"${suggestion(inner, Object.keys(GROUPS[key]!))}; known: ${Object.keys(GROUPS[key]!).join(", ")}`);
        values[flag] = toRaw(innerValue, `${path}: "${key}.${inner}"`);
      }
      continue;
    }
    const flag = ALIASES[key] ?? key;
    if (!knownKeys.includes(flag)) throw new UsageError(`${path}: unknown key "${key}"${suggestion(key, allowed)}`);
    values[flag] = toRaw(value, `${path}: "${key}"`);
  }
  return values;
}
