import { stringify } from "csv-stringify/sync";
import { TURN_COLUMNS, type TurnRecord } from "../metrics/turn-record.ts";

/** Cells a spreadsheet would run as a formula start with one of these. */
const FORMULA_START = /^[=+\-@\t\r]|^\\u000[9d]/;

/**
 * A text cell made safe for spreadsheets: a leading =, +, -, @, tab or CR gets a leading
 * apostrophe, so "=HYPERLINK(...)" from a hostile server is shown, never run. Numbers are left as
 * numbers.
 *
 * @example
 * ```ts
 * import { spreadsheetSafe } from "./turns-csv.ts";
 * console.log(spreadsheetSafe("=1+1"), spreadsheetSafe(-3)); // "'=1+1" "-3"
 * ```
 */
export function spreadsheetSafe(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  // Control characters (terminal escapes from a hostile server) are written as visible \uXXXX.
  const visible = value.replace(
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return FORMULA_START.test(visible) ? `'${visible}` : visible;
}

/**
 * turns.csv: a header row, then one row per turn in {@link TURN_COLUMNS} order, then the
 * scenarios' own columns (`extraColumns`, e.g. from Scenario.columns); milliseconds, ISO-8601
 * timestamps, empty cells for not-applicable. A name among voxbench's columns is not repeated.
 *
 * @example
 * ```ts
 * import { turnsToCsv } from "./turns-csv.ts";
 * console.log(turnsToCsv([]).split("\n")[0]?.startsWith("run_id,client_id,turn_index")); // true
 * ```
 */
export function turnsToCsv(turns: readonly TurnRecord[], extraColumns: readonly string[] = []): string {
  const own = new Set<string>(TURN_COLUMNS);
  const extra = [...new Set(extraColumns)].filter((column) => !own.has(column));
  const rows = turns.map((turn) => [
    ...TURN_COLUMNS.map((column) => spreadsheetSafe(turn[column] as string | number | null)),
    ...extra.map((column) => spreadsheetSafe(turn.extra[column] ?? null)),
  ]);
  return stringify([[...TURN_COLUMNS, ...extra], ...rows], { record_delimiter: "\n" });
}
