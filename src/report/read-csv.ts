/** A CSV text split into rows, with what is left of a row the text ends inside of. */
export interface CsvRows {
  /** Every row that ends with a line end, as cells. */
  readonly rows: string[][];
  /**
   * The cells after the last line end when the text does not end with one: voxbench ends every
   * row with a line end, so this is a row cut short (its last cell may be cut too). Null when the
   * text ends with a line end.
   */
  readonly unfinishedRow: string[] | null;
  /** True when the text ends inside a quoted cell (a file cut in the middle of a quoted value). */
  readonly endsInQuotes: boolean;
}

/**
 * Reads the CSV voxbench writes (RFC 4180: commas, double-quoted cells with "" escapes, \n or
 * \r\n rows) back into rows of cells, for `voxbench compare`. A text that stops mid-row is not
 * passed off as complete: its remains are reported apart from the finished rows.
 *
 * @example
 * ```ts
 * import { readCsv } from "./read-csv.ts";
 * console.log(readCsv('a,b\n1,"x, ""y"""\n').rows); // [["a", "b"], ["1", 'x, "y"']]
 * console.log(readCsv("a,b\n1,2\n3").unfinishedRow); // ["3"]
 * ```
 */
export function readCsv(text: string): CsvRows {
  const rows: string[][] = [];
  let cells: string[] = [];
  let cell = "";
  let inQuotes = false;
  let index = 0;
  /** Where the current row starts: text from here on has no line end yet. */
  let rowStart = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    if (inQuotes) {
      if (char !== '"') cell += char;
      else if (text.charAt(index + 1) === '"') {
        cell += '"';
        index++;
      } else inQuotes = false;
    } else if (char === '"') inQuotes = true;
    else if (char === ",") {
      cells.push(cell);
      cell = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text.charAt(index + 1) === "\n") index++;
      cells.push(cell);
      rows.push(cells);
      cells = [];
      cell = "";
      rowStart = index + 1;
    } else cell += char;
    index++;
  }
  return { rows, unfinishedRow: rowStart < text.length ? [...cells, cell] : null, endsInQuotes: inQuotes };
}
