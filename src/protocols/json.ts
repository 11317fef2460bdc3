import type { SessionEventBody } from "./adapter.ts";
import { otherProtocolHint } from "./hints.ts";

/** A decode result: the value, or a one-line reason. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly reason: string;
};

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
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return fail("message is not a JSON object");
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}

const utf8 = new TextDecoder();

/**
 * Decodes one frame of a JSON protocol on the caller's side: a binary frame, malformed JSON or a
 * message `validate` rejects is a protocol error (with a hint when it is another protocol's
 * message); an unknown event name is counted, not an error. Returns the validated message, or the
 * events to log instead.
 *
 * @example
 * ```ts
 * import { decodeJsonFrame } from "./json.ts";
 * const result = decodeJsonFrame(new TextEncoder().encode("[1]"), false, "twilio", () => ({ ok: true, value: 1 }));
 * console.log(result); // { ok: false, events: [{ kind: "protocol_error", message: "message is not a JSON object: [1]" }] }
 * ```
 */
export function decodeJsonFrame<T>(
  data: Uint8Array,
  isBinary: boolean,
  protocol: string,
  validate: (message: Readonly<Record<string, unknown>>) => Decoded<T>,
): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly events: SessionEventBody[] } {
  if (isBinary) {
    return {
      ok: false,
      events: [{ kind: "protocol_error", message: `binary frame: ${protocol} messages are JSON text` }],
    };
  }
  const text = utf8.decode(data);
  const parsed = parseJsonObject(text);
  if (!parsed.ok) {
    return {
      ok: false,
      events: [{ kind: "protocol_error", message: `${parsed.reason}: ${text.slice(0, 80)}` }],
    };
  }
  const decoded = validate(parsed.value);
  if (decoded.ok) return decoded;
  const hint = otherProtocolHint(parsed.value, protocol);
  if (hint) return { ok: false, events: [{ kind: "protocol_error", message: hint, wrongProtocol: true }] };
  if (decoded.reason.startsWith("unknown event")) {
    return {
      ok: false,
      events: [{ kind: "unknown", name: String(parsed.value.event ?? parsed.value.type) }],
    };
  }
  return {
    ok: false,
    events: [{ kind: "protocol_error", message: `${decoded.reason}: ${text.slice(0, 80)}` }],
  };
}

/** A frame's bytes as text (JSON protocols). */
export function frameText(data: Uint8Array): string {
  return utf8.decode(data);
}
