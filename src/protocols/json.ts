/** A decode result: the value, or a one-line reason. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** A failed decode with `reason`. */
export function fail<T>(reason: string): Decoded<T> {
  return { ok: false, reason };
}

/**
 * Parses a JSON text that must hold an object (every JSON protocol's messages are objects).
 *
 * @example
 * ```ts
 * import { parseJsonObject } from "./json.ts";
 * console.log(parseJsonObject('{"event":"clear"}'), parseJsonObject("[1]"));
 * // { ok: true, value: { event: "clear" } } { ok: false, reason: "message is not a JSON object" }
 * ```
 */
export function parseJsonObject(text: string): Decoded<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail("malformed JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return fail("message is not a JSON object");
  return { ok: true, value: parsed as Record<string, unknown> };
}

const utf8 = new TextDecoder();

/** A frame's bytes as text (JSON protocols). */
export function frameText(data: Uint8Array): string {
  return utf8.decode(data);
}
