/**
 * Characters that would act on a terminal instead of being shown: C0 and C1 controls (ESC starts
 * colour and cursor sequences; a newline would split a one-line message), DEL, the Unicode line
 * separators and the bidirectional overrides that can make a name read backwards.
 */
const INVISIBLE_OR_CONTROL =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes every control character of a file name (or any text taken from a file) visible as a
 * `\u001b`-style escape, so a name like "a\u001b[2Jb.wav" is printed as it is, not executed by the
 * terminal. Unlike sanitizeForTerminal it drops nothing: the user can still tell which file is
 * meant. Backslashes are left alone (Windows paths). The escapes are also valid inside a JSON
 * string, so a JSON line passed through it still parses to the same value.
 *
 * @example
 * ```ts
 * import { showControlCharacters } from "./printable.ts";
 * console.log(showControlCharacters("evil\u001b[31m\n.wav")); // "evil\u001b[31m\u000a.wav" (escapes printed as text)
 * ```
 */
export function showControlCharacters(text: string): string {
  return text.replace(
    INVISIBLE_OR_CONTROL,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
