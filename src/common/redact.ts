/**
 * Secrets never leave voxbench in what it writes: header values, URL passwords and token-like query
 * parameters are replaced by "[redacted]" in the console, summary.json, turns.csv and logs.
 */
export const REDACTED = "[redacted]";

const SECRET_QUERY_KEYS = /^(token|access_token|id_token|auth|authorization|key|api_key|apikey|api-key|secret|client_secret|password|pass|pwd|signature|sig|session|jwt|bearer|x-api-key)$/i;

/**
 * A URL with its password and secret-looking query values redacted.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact.ts";
 * console.log(redactUrl("wss://bob:hunter2@example.com/ws?token=abc&lang=en"));
 * // "wss://bob:[redacted]@example.com/ws?token=[redacted]&lang=en"
 * ```
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const hashAt = url.indexOf("#");
  const withoutHash = hashAt >= 0 ? url.slice(0, hashAt) : url;
  const hash = hashAt >= 0 ? url.slice(hashAt) : "";
  const queryAt = withoutHash.indexOf("?");
  let base = queryAt >= 0 ? withoutHash.slice(0, queryAt) : withoutHash;
  if (parsed.password) base = base.replace(`:${parsed.password}@`, `:${REDACTED}@`);
  if (queryAt < 0) return base + hash;
  const query = withoutHash
    .slice(queryAt + 1)
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      if (equals < 0) return pair;
      let key: string;
      try {
        key = decodeURIComponent(pair.slice(0, equals).replace(/\+/g, " "));
      } catch {
        key = pair.slice(0, equals);
      }
      return SECRET_QUERY_KEYS.test(key) && equals < pair.length - 1 ? `${pair.slice(0, equals)}=${REDACTED}` : pair;
    })
    .join("&");
  return `${base}?${query}${hash}`;
}

/** Header names kept, values redacted. */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(headers).map((name) => [name, REDACTED]));
}

/**
 * Removes every known secret value from free text (server error messages, close reasons...).
 *
 * @example
 * ```ts
 * import { redactText } from "./redact.ts";
 * console.log(redactText("bad token abc123", ["abc123"])); // "bad token [redacted]"
 * ```
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join(REDACTED);
  }
  return result;
}

/**
 * Every secret value a run knows of: header values (and the token after a scheme such as
 * "Bearer"), the URL's password and its secret-looking query values. Error messages are scrubbed of
 * them before they are written anywhere.
 *
 * @example
 * ```ts
 * import { secretsOf } from "./redact.ts";
 * console.log(secretsOf("ws://h/ws?token=abc123", { Authorization: "Bearer xyz789" }));
 * // ["Bearer xyz789", "xyz789", "abc123"]
 * ```
 */
export function secretsOf(url: string, headers: Readonly<Record<string, string>>): string[] {
  const secrets: string[] = [];
  for (const value of Object.values(headers)) {
    secrets.push(value);
    const scheme = /^\S+\s+(\S.*)$/.exec(value);
    if (scheme) secrets.push(scheme[1]!);
  }
  try {
    const parsed = new URL(url);
    if (parsed.password) secrets.push(parsed.password, decodeURIComponent(parsed.password));
    for (const [key, value] of parsed.searchParams) {
      if (value && SECRET_QUERY_KEYS.test(key)) secrets.push(value, encodeURIComponent(value));
    }
  } catch {
    // not a URL: nothing to add
  }
  return [...new Set(secrets.filter((secret) => secret.length >= 4))].sort((a, b) => b.length - a.length);
}
