import { UsageError } from "../common/errors.ts";

/**
 * Strict parsers for option values. cac hands over strings, numbers or booleans; each parser
 * accepts exactly the documented form and otherwise throws a UsageError that names the option,
 * the value and what was expected.
 *
 * @example
 * ```ts
 * import { parsePositiveInteger } from "./parse-values.ts";
 * console.log(parsePositiveInteger("--concurrency", "10")); // 10
 * ```
 */
export type RawValue = string | number | boolean | undefined | readonly unknown[];

function describe(value: RawValue): string {
  return Array.isArray(value) ? value.join(" ") : String(value);
}

function single(name: string, value: RawValue): string | number | boolean | undefined {
  if (Array.isArray(value)) throw new UsageError(`${name} was given more than once (${describe(value)})`);
  return value as string | number | boolean | undefined;
}

/** A finite number; `true` (flag given without a value) is rejected. */
export function parseNumber(name: string, raw: RawValue): number {
  const value = single(name, raw);
  if (typeof value === "boolean" || value === undefined || value === "") {
    throw new UsageError(`${name} needs a number`);
  }
  const number = typeof value === "number" ? value : Number(value.trim());
  if (!Number.isFinite(number)) throw new UsageError(`${name} must be a number (got "${describe(raw)}")`);
  return number;
}

/** An integer >= 1. */
export function parsePositiveInteger(name: string, raw: RawValue): number {
  const number = parseNumber(name, raw);
  if (!Number.isInteger(number) || number < 1) {
    throw new UsageError(`${name} must be a whole number of at least 1 (got ${describe(raw)})`);
  }
  return number;
}

/** An integer >= 0. */
export function parseNonNegativeInteger(name: string, raw: RawValue): number {
  const number = parseNumber(name, raw);
  if (!Number.isInteger(number) || number < 0) {
    throw new UsageError(`${name} must be a whole number of at least 0 (got ${describe(raw)})`);
  }
  return number;
}

/** A number >= 0. */
export function parseNonNegativeNumber(name: string, raw: RawValue): number {
  const number = parseNumber(name, raw);
  if (number < 0) throw new UsageError(`${name} must not be negative (got ${describe(raw)})`);
  return number;
}

/** A number > 0. */
export function parsePositiveNumber(name: string, raw: RawValue): number {
  const number = parseNumber(name, raw);
  if (number <= 0) throw new UsageError(`${name} must be greater than 0 (got ${describe(raw)})`);
  return number;
}

/**
 * A switch: true or false (absent is false). A config file's "yes" or 1 is an error, not silently
 * ignored.
 */
export function parseBoolean(name: string, raw: RawValue): boolean {
  if (raw === undefined) return false;
  const value = single(name, raw);
  if (typeof value !== "boolean") {
    throw new UsageError(`${name} is a switch: give true or false (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** A non-empty string. */
export function parseString(name: string, raw: RawValue): string {
  const value = single(name, raw);
  if (typeof value === "boolean" || value === undefined || String(value) === "") {
    throw new UsageError(`${name} needs a value`);
  }
  return String(value);
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(name: string, raw: RawValue, choices: readonly T[]): T {
  const value = parseString(name, raw);
  if (!choices.includes(value as T)) {
    throw new UsageError(`${name} must be one of ${choices.join(", ")} (got "${value}")`);
  }
  return value as T;
}

/** A range "MIN-MAX" or a single number "N" (meaning N-N), both >= 0. */
export function parseRange(name: string, raw: RawValue): { min: number; max: number } {
  const value = single(name, raw);
  if (typeof value === "number") {
    if (value < 0) throw new UsageError(`${name} must not be negative (got ${value})`);
    return { min: value, max: value };
  }
  const text = parseString(name, raw).trim();
  const match = /^(\d+(?:\.\d+)?)(?:\s*-\s*(\d+(?:\.\d+)?))?$/.exec(text);
  if (!match) throw new UsageError(`${name} must be a number or a range like 0.5-2 (got "${text}")`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (max < min) throw new UsageError(`${name}: the range's end must not be below its start (got "${text}")`);
  return { min, max };
}

/** Seconds per duration unit (`--duration`, `--window`, `--stages`). */
export const DURATION_UNITS_S: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/**
 * A duration in seconds from "90s", "2m", "1.5h", "500ms" or a bare number of seconds; above 0.
 *
 * @example
 * ```ts
 * import { parseDurationS } from "./parse-values.ts";
 * console.log(parseDurationS("--duration", "2m"), parseDurationS("--duration", "250ms"), parseDurationS("--duration", 30)); // 120 0.25 30
 * ```
 */
export function parseDurationS(name: string, raw: RawValue): number {
  return parseDurationOrZeroS(name, raw, false);
}

/**
 * A duration in seconds as {@link parseDurationS} reads it, or 0 ("0", "0s", "0ms"...) where none
 * at all is a choice (--warmup, --metrics-linger).
 *
 * @example
 * ```ts
 * import { parseDurationOrZeroS } from "./parse-values.ts";
 * console.log(parseDurationOrZeroS("--warmup", "0s"), parseDurationOrZeroS("--warmup", "2s")); // 0 2
 * ```
 */
export function parseDurationOrZeroS(name: string, raw: RawValue, zeroAllowed = true): number {
  const value = single(name, raw);
  const text = typeof value === "number" ? String(value) : parseString(name, raw).trim();
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!match) throw new UsageError(`${name} must be a duration like 30s, 2m, 1h or 500ms (got "${text}")`);
  const seconds = Number(match[1]) * DURATION_UNITS_S[match[2] ?? "s"]!;
  if (seconds === 0 && zeroAllowed) return 0;
  if (!(seconds > 0)) throw new UsageError(`${name} must be above 0 (got "${text}")`);
  return seconds;
}
