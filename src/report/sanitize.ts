/**
 * Text that came from a server (error messages, close reasons) may hold terminal escape sequences
 * or control characters; they are removed before anything is printed.
 *
 * @example
 * ```ts
 * import { sanitizeForTerminal } from "./sanitize.ts";
 * console.log(sanitizeForTerminal("bad\u001b[31m red\u0007 line\nnext")); // "bad red line next"
 * ```
 */
export function sanitizeForTerminal(text: string): string {
  return text
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, "") // CSI sequences (colours, cursor moves)
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g, "") // OSC sequences (titles, links)
    .replace(/\u001b[@-_]/g, "") // other two-byte escapes
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
    .replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ""); // bidirectional overrides
}
