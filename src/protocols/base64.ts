import { Buffer } from "node:buffer";

/**
 * Base64 for audio payloads, through node:buffer (native on Node and Deno, and far faster than
 * btoa on large buffers).
 *
 * @example
 * ```ts
 * import { fromBase64, toBase64 } from "./base64.ts";
 * console.log(toBase64(new Uint8Array([1, 2, 3])), fromBase64("AQID").length); // "AQID" 3
 * ```
 */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Decodes base64; returns undefined when the text is not valid base64 (line breaks are allowed). */
export function fromBase64(text: string): Uint8Array | undefined {
  const buffer = Buffer.from(text, "base64");
  // The decoder skips what is not base64, so a clean text decodes to exactly this many bytes; only
  // a text that does not is checked character by character (a reply chunk is decoded 10 times a second per caller).
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const clean = text.length % 4 === 0 && buffer.byteLength === (text.length / 4) * 3 - padding;
  if (!clean && !/^[A-Za-z0-9+/\r\n]*={0,2}$/.test(text)) return undefined;
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Base64 of the frames callers send (views into shared clips, or a shared silent frame), encoded once. */
const sharedPayloads = new WeakMap<Uint8Array, string>();

/**
 * Base64 of bytes that never change (a clip's frame, shared by every caller; a silent frame):
 * encoded once per buffer.
 *
 * @example
 * ```ts
 * import { sharedBase64 } from "./base64.ts";
 * const frame = new Uint8Array([1, 2, 3]);
 * console.log(sharedBase64(frame) === sharedBase64(frame)); // true
 * ```
 */
export function sharedBase64(bytes: Uint8Array): string {
  let payload = sharedPayloads.get(bytes);
  if (payload === undefined) {
    payload = toBase64(bytes);
    sharedPayloads.set(bytes, payload);
  }
  return payload;
}
