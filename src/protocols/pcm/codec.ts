/**
 * The codec of raw-PCM bots (Vonage-style sockets, many home-made bots): binary frames of PCM16
 * little-endian in both directions (20 ms from the caller, any size from the bot), and JSON text
 * frames for control from the bot: `{"type":"clear"}` (it stopped: barge-in) and
 * `{"type":"response_done"}` (its reply is complete). Any other text is ignored and counted.
 *
 * @example
 * ```ts
 * import { encodeControl, parseControl } from "./codec.ts";
 * console.log(encodeControl("clear"), parseControl('{"type":"response_done"}')); // '{"type":"clear"}' { kind: "response_done" }
 * ```
 */
import { parseJsonObject } from "../json.ts";

/** The control messages a bot sends. */
export type Control = "clear" | "response_done";

/** A control message as a text frame. */
export function encodeControl(control: Control): string {
  return JSON.stringify({ type: control });
}

/** What a text frame from the bot is: a control message, another JSON object (its `type`, if any), or not JSON. */
export function parseControl(
  text: string,
): { readonly kind: "clear" } | { readonly kind: "response_done" } | {
  readonly kind: "other";
  readonly message: Readonly<Record<string, unknown>>;
} | { readonly kind: "not_json" } {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return { kind: "not_json" };
  const type = parsed.value.type;
  if (type === "clear") return { kind: "clear" };
  if (type === "response_done") return { kind: "response_done" };
  return { kind: "other", message: parsed.value };
}
