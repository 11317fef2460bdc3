/**
 * Reads the CSV voxbench writes (RFC 4180: commas, double-quoted cells with "" escapes, \n or
 * \r\n rows) back into rows of cells, for `voxbench compare`.
 *
 * @example
 * ```ts
 * import { readCsv } from "./read-csv.ts";
 * console.log(readCsv('a,b\n1,"x, ""y"""\n')); // [["a", "b"], ["1", 'x, "y"']]
 * ```
 */
export function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let cells: string[] = [];
  let cell = "";
  let inQuotes = false;
  let index = 0;
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
    } else cell += char;
    index++;
  }
  if (cell.length > 0 || cells.length > 0) rows.push([...cells, cell]);
  return rows;
}
