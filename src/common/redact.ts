/**
 * Secrets never leave voxbench in what it writes: header values, URL userinfo and credential-looking
 * query parameters are replaced by "[redacted]" in the console, summary.json, turns.csv, logs and
 * usage errors, in whatever encoding they show up (percent-encoded, base64, JSON- or HTML-escaped).
 *
 * Two layers:
 * - structural: `redactUrl`, `redactUrlText`, `redactHeaders` and `describeHeaderForError` hide the
 *   parts of a URL or header that carry credentials, without knowing the secrets;
 * - by value: a `Redactor` (from `createRedactor`) knows the run's secrets and removes every
 *   occurrence of them from any text (server errors, close reasons, what the bot says back).
 */
import { Buffer } from "node:buffer";

/** What stands in for a secret in everything voxbench shows or writes. */
export const REDACTED = "[redacted]";

/**
 * Secrets shorter than this are not searched for in free text: a two- or three-character value
 * ("en", "1", "abc") occurs everywhere by chance, so redacting it would garble every message while
 * protecting nothing worth protecting. Structural redaction (URLs, headers) hides them regardless.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Name stems that mark a query parameter (or auth parameter) as a credential wherever they occur in
 * the name, once separators are removed ("x-amz-security-token", "clientSecret", "PHPSESSID").
 */
const CREDENTIAL_NAME_STEMS =
  /token|secret|passw|passphrase|passcode|pwd|credential|auth|session|sessid|jwt|bearer|cookie|ticket|private|signature|apikey|accesskey/;
/** Short stems that count only as a whole word of the name ("api_key", "apiKey", "x-sig"), not inside one ("keyframe", "signal", "bypass"). */
const CREDENTIAL_NAME_WORDS = new Set(["key", "keys", "sig", "pass", "sid", "pin", "otp"]);
/** Names that are credentials only on their own: OAuth's "code" (but not "codec" or "language_code"). */
const CREDENTIAL_WHOLE_NAMES = new Set(["code"]);
/** Values that are settings, not secrets ("private=true"): never searched for in free text, though hidden in URLs. */
const NOT_SECRET_VALUES = new Set(["true", "false", "null", "none", "undefined", "yes", "no", "on", "off"]);

/**
 * Whether a query (or auth) parameter name looks like it carries a credential. Case-insensitive;
 * `-`, `_`, `.`, spaces and camelCase separate words.
 *
 * Session ids count ("session", "session_id", "sid", "PHPSESSID"): in many voice APIs the session
 * id in the URL is all it takes to join or take over the call.
 *
 * The rule deliberately over-redacts: "author", "monkey", "session_timeout" or "private=true" are
 * caught too. That costs a "[redacted]" where a harmless value was (and, for values of at least
 * MIN_SECRET_LENGTH characters, that value is also removed from free text); missing a credential
 * would cost a leak. The short stems key, sig, pass, sid, pin and otp must be whole words and
 * "code" the whole name, because inside other words (keyframe, signal, bypass, codec,
 * language_code) they are too common in voice APIs' settings.
 *
 * @example
 * ```ts
 * import { isCredentialParameterName } from "./redact.ts";
 * console.log(isCredentialParameterName("X-Amz-Signature"), isCredentialParameterName("apiKey")); // true true
 * console.log(isCredentialParameterName("codec"), isCredentialParameterName("lang")); // false false
 * ```
 */
export function isCredentialParameterName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
  const joined = words.join("");
  return (
    CREDENTIAL_NAME_STEMS.test(joined) ||
    words.some((word) => CREDENTIAL_NAME_WORDS.has(word)) ||
    joined.endsWith("key") ||
    joined.endsWith("sig") ||
    CREDENTIAL_WHOLE_NAMES.has(joined)
  );
}

// ---------------------------------------------------------------------------------------------
// URL layout: where the userinfo, query and fragment of a (possibly malformed) URL are.
// ---------------------------------------------------------------------------------------------

/** A URL cut into the pieces redaction cares about; joining them gives the text back. */
interface UrlLayout {
  /** Scheme and slashes ("wss://"), or whatever precedes the authority. */
  readonly head: string;
  /** Between head and the "@" (without it); null when there is no "@". */
  readonly userinfo: string | null;
  readonly hostAndPath: string;
  /** After the "?" (without it); null when there is no "?". */
  readonly query: string | null;
  /** After the "#" (without it); null when there is no "#". */
  readonly fragment: string | null;
}

const SCHEME = /^[\s]*[A-Za-z][A-Za-z0-9+.-]*:/;

function skipSlashes(text: string, from: number): number {
  let position = from;
  while (text[position] === "/" || text[position] === "\\") position++;
  return position;
}

function splitQueryAndFragment(
  text: string,
): { readonly beforeQuery: string; readonly query: string | null; readonly fragment: string | null } {
  const hashAt = text.indexOf("#");
  const withoutHash = hashAt >= 0 ? text.slice(0, hashAt) : text;
  const queryAt = withoutHash.indexOf("?");
  return {
    beforeQuery: queryAt >= 0 ? withoutHash.slice(0, queryAt) : withoutHash,
    query: queryAt >= 0 ? withoutHash.slice(queryAt + 1) : null,
    fragment: hashAt >= 0 ? text.slice(hashAt + 1) : null,
  };
}

/** The layout of a URL the WHATWG parser accepted: the authority ends at the first "/", "\", "?" or "#". */
function layoutOfParsedUrl(url: string): UrlLayout {
  const scheme = SCHEME.exec(url);
  const authorityStart = skipSlashes(url, scheme ? scheme[0].length : 0);
  const { beforeQuery, query, fragment } = splitQueryAndFragment(url);
  const authorityEnd = beforeQuery.slice(authorityStart).search(/[/\\]/);
  const authority = authorityEnd >= 0
    ? beforeQuery.slice(authorityStart, authorityStart + authorityEnd)
    : beforeQuery.slice(authorityStart);
  const at = authority.lastIndexOf("@");
  return {
    head: beforeQuery.slice(0, authorityStart),
    userinfo: at >= 0 ? authority.slice(0, at) : null,
    hostAndPath: beforeQuery.slice(authorityStart + (at >= 0 ? at + 1 : 0)),
    query,
    fragment,
  };
}

/**
 * The layout of text that is not a valid URL, read so as to hide too much rather than too little:
 * the userinfo runs to the last "@" anywhere (a password may hold "/", "?" or "#" unencoded), and
 * the authority starts after "scheme://" or the first "//", else at the very start (so "user:pw@h"
 * loses "user" too).
 */
function layoutOfMalformedUrl(text: string): UrlLayout {
  const scheme = SCHEME.exec(text);
  let authorityStart = 0;
  if (scheme && text.startsWith("/", scheme[0].length)) authorityStart = skipSlashes(text, scheme[0].length);
  else if (text.includes("//")) authorityStart = skipSlashes(text, text.indexOf("//"));
  const at = text.lastIndexOf("@");
  const userinfoEnd = at >= authorityStart ? at : -1;
  const { beforeQuery, query, fragment } = splitQueryAndFragment(
    text.slice(userinfoEnd >= 0 ? userinfoEnd + 1 : authorityStart),
  );
  return {
    head: text.slice(0, authorityStart),
    userinfo: userinfoEnd >= 0 ? text.slice(authorityStart, userinfoEnd) : null,
    hostAndPath: beforeQuery,
    query,
    fragment,
  };
}

function parsesAsUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function decodedName(rawName: string): string {
  try {
    return decodeURIComponent(rawName.replace(/\+/g, " "));
  } catch {
    return rawName;
  }
}

/**
 * Credential values of a query string (or a fragment written like one) and the string with them
 * replaced. Pairs are separated by "&"; a ";" inside a pair also starts a new pair (some servers
 * split on it), and a credential's value then runs to the next "&", so a value holding ";" is
 * hidden whole either way.
 */
function redactCredentialPairs(query: string): { readonly redacted: string; readonly values: string[] } {
  const values: string[] = [];
  const redacted = query
    .split("&")
    .map((pair) => {
      const parts = pair.split(";");
      let offset = 0;
      for (const part of parts) {
        const equals = part.indexOf("=");
        if (equals >= 0 && isCredentialParameterName(decodedName(part.slice(0, equals)))) {
          const valueStart = offset + equals + 1;
          if (valueStart >= pair.length) return pair;
          const value = pair.slice(valueStart);
          values.push(value);
          // A server that splits on ";" sees only the part before it.
          if (value.includes(";")) values.push(value.slice(0, value.indexOf(";")));
          return `${pair.slice(0, valueStart)}${REDACTED}`;
        }
        offset += part.length + 1;
      }
      return pair;
    })
    .join("&");
  return { redacted, values };
}

/** A query string with every value (and every bare item) replaced, for text that is not a valid URL. */
function redactAllPairs(query: string): string {
  return query
    .split("&")
    .map((pair) => {
      if (pair === "") return pair;
      const equals = pair.indexOf("=");
      if (equals < 0) return REDACTED;
      const name = pair.slice(0, equals);
      return `${/^[\w.~%+[\]-]{1,64}$/.test(name) ? name : REDACTED}=${REDACTED}`;
    })
    .join("&");
}

function redactedUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(":");
  if (colon < 0) return userinfo === "" ? "" : REDACTED;
  const hide = (part: string): string => (part === "" ? "" : REDACTED);
  return `${hide(userinfo.slice(0, colon))}:${hide(userinfo.slice(colon + 1))}`;
}

function joinLayout(
  layout: UrlLayout,
  userinfo: string | null,
  hostAndPath: string,
  query: string | null,
  fragment: string | null,
): string {
  return `${layout.head}${userinfo === null ? "" : `${userinfo}@`}${hostAndPath}${
    query === null ? "" : `?${query}`
  }${fragment === null ? "" : `#${fragment}`}`;
}

/**
 * A URL for display: its userinfo (user name and password: both are credentials, as in
 * `wss://TOKEN@host/`) and the values of credential-looking query parameters (see
 * isCredentialParameterName; also in a fragment) are replaced by "[redacted]". Everything else is
 * kept as written. Text that is not a valid URL gets the stricter `redactUrlText`.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact.ts";
 * console.log(redactUrl("wss://bob:hunter2@example.com/ws?token=abc&lang=en"));
 * // "wss://[redacted]:[redacted]@example.com/ws?token=[redacted]&lang=en"
 * ```
 */
export function redactUrl(url: string): string {
  if (parsesAsUrl(url) === null) return redactUrlText(url);
  const layout = layoutOfParsedUrl(url);
  return joinLayout(
    layout,
    layout.userinfo === null ? null : redactedUserinfo(layout.userinfo),
    layout.hostAndPath,
    layout.query === null ? null : redactCredentialPairs(layout.query).redacted,
    layout.fragment === null ? null : redactCredentialPairs(layout.fragment).redacted,
  );
}

/**
 * Best-effort redaction of something meant as a URL that does not parse (a usage error echoing a
 * bad --server value): everything between "//" and the last "@" is hidden, and so are the values
 * of every query and fragment parameter (and any "name=value" in the path), since without a parse
 * nothing says which are credentials. Scheme, host, port and path stay, so the message still shows
 * what is wrong.
 *
 * @example
 * ```ts
 * import { redactUrlText } from "./redact.ts";
 * console.log(redactUrlText("ws//user:pw@host?token=abc&lang=en"));
 * // "ws//[redacted]@host?token=[redacted]&lang=[redacted]"
 * ```
 */
export function redactUrlText(raw: string): string {
  const layout = layoutOfMalformedUrl(raw);
  return joinLayout(
    layout,
    layout.userinfo === null ? null : REDACTED,
    layout.hostAndPath.replace(/=[^/&;?#]+/g, `=${REDACTED}`),
    layout.query === null ? null : redactAllPairs(layout.query),
    layout.fragment === null
      ? null
      : layout.fragment.includes("=")
      ? redactAllPairs(layout.fragment)
      : layout.fragment === ""
      ? ""
      : REDACTED,
  );
}

/**
 * Header names kept, values redacted.
 *
 * @example
 * ```ts
 * import { redactHeaders } from "./redact.ts";
 * console.log(redactHeaders({ Authorization: "Bearer xyz" })); // { Authorization: "[redacted]" }
 * ```
 */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(headers).map((name) => [name, REDACTED]));
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

/**
 * What a usage error may say about a malformed `--header` argument: the header name when it is a
 * valid one (a token of at most 64 characters), never any part of the value. When there is no
 * valid name, nothing of the text is shown, only what is wrong with it: without a ":", the first
 * word is as likely to be a secret ("Bearer xyz", "xyz") as a name.
 *
 * @example
 * ```ts
 * import { describeHeaderForError } from "./redact.ts";
 * console.log(describeHeaderForError("Authorization: Bearer xyz")); // "\"Authorization: [redacted]\""
 * console.log(describeHeaderForError("Bearer xyz")); // "[redacted], which has no \":\""
 * ```
 */
export function describeHeaderForError(raw: string): string {
  const colon = raw.indexOf(":");
  if (colon < 0) return `${REDACTED}, which has no ":"`;
  const name = raw.slice(0, colon).trim();
  if (name === "") return `${REDACTED}, whose name before ":" is empty`;
  if (!HEADER_NAME.test(name)) return `${REDACTED}, whose name before ":" is not a valid header name`;
  return `"${name}: ${REDACTED}"`;
}

// ---------------------------------------------------------------------------------------------
// Collecting the secrets of a run.
// ---------------------------------------------------------------------------------------------

/** Decodes the valid %XX runs of a string and leaves malformed ones as they are. */
function percentDecodeLeniently(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/**
 * A value as given in a URL and as each decoding a server may apply yields: percent-decoded, with
 * "+" read as a space (forms) or not, up to three times (a value double-encoded in the URL reaches
 * the bot once-encoded, and the bot may decode it again).
 */
function decodings(given: string): string[] {
  const found = new Set([given]);
  let frontier = [given];
  for (let round = 0; round < 3 && frontier.length > 0; round++) {
    const next: string[] = [];
    for (const value of frontier) {
      for (
        const decoded of [percentDecodeLeniently(value), percentDecodeLeniently(value.replace(/\+/g, " "))]
      ) {
        if (!found.has(decoded)) {
          found.add(decoded);
          next.push(decoded);
        }
      }
    }
    frontier = next;
  }
  return [...found];
}

/** "user:pass" from a Basic credential, then the password (or the user name when the password is empty: a token sent as the user). */
function basicCredentialParts(encoded: string): string[] {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) return [];
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Buffer.from(encoded, /[-_]/.test(encoded) ? "base64url" : "base64"),
    );
  } catch {
    return [];
  }
  if (decoded === "" || /[\u0000-\u001f\u007f]/.test(decoded)) return [];
  const colon = decoded.indexOf(":");
  if (colon < 0) return [decoded];
  const password = decoded.slice(colon + 1);
  return [decoded, password === "" ? decoded.slice(0, colon) : password];
}

/** `name=value` pairs of a header or credential ("a=1; b=2", 'Credential=x, Signature="y"'), quotes removed. */
function parameterPairs(text: string): Array<{ readonly name: string; readonly value: string }> {
  const pairs: Array<{ readonly name: string; readonly value: string }> = [];
  for (const match of text.matchAll(/([^\s=,;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,;\s]*)/g)) {
    const value = match[2]!;
    pairs.push({
      name: match[1]!,
      value: value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value,
    });
  }
  return pairs;
}

/**
 * A credential value and the parts of it that are credentials on their own: the credential after
 * an auth scheme ("Bearer xyz" -> "xyz"), a Basic credential decoded ("user:pass", "pass"), and the
 * values of credential-looking parameters ("Credential=..., Signature=..."; every cookie's value).
 */
function credentialParts(value: string, everyParameterIsSecret: boolean): string[] {
  const parts = [value];
  const schemed = /^(\S+)\s+(\S.*)$/s.exec(value);
  if (schemed) {
    const credential = schemed[2]!.trim();
    parts.push(credential);
    if (schemed[1]!.toLowerCase() === "basic") parts.push(...basicCredentialParts(credential));
  }
  for (const { name, value: parameter } of parameterPairs(value)) {
    if (everyParameterIsSecret || isCredentialParameterName(name)) parts.push(parameter);
  }
  return parts;
}

/** The secrets of a URL as given: userinfo (whole, user, password) and credential query/fragment values, raw. */
function givenUrlSecrets(url: string): string[] {
  const parsed = parsesAsUrl(url);
  const layout = parsed === null ? layoutOfMalformedUrl(url) : layoutOfParsedUrl(url);
  const given: string[] = [];
  if (layout.userinfo !== null) {
    given.push(layout.userinfo);
    const colon = layout.userinfo.indexOf(":");
    if (colon >= 0) given.push(layout.userinfo.slice(0, colon), layout.userinfo.slice(colon + 1));
  }
  for (const section of [layout.query, layout.fragment]) {
    if (section !== null) given.push(...redactCredentialPairs(section).values);
  }
  if (parsed !== null) {
    // The parser's normalised forms are what goes on the wire, so what a server echoes.
    given.push(parsed.username, parsed.password);
    for (const [name, value] of parsed.searchParams) if (isCredentialParameterName(name)) given.push(value);
  }
  return given;
}

function worthSearchingFor(secret: string): boolean {
  return secret.length >= MIN_SECRET_LENGTH && !NOT_SECRET_VALUES.has(secret.toLowerCase());
}

function sortedSecrets(candidates: Iterable<string>): string[] {
  return [...new Set([...candidates].filter(worthSearchingFor))].sort((a, b) =>
    b.length - a.length || (a < b ? -1 : a > b ? 1 : 0)
  );
}

/**
 * Every secret value a run knows of, in its plain (decoded) and given forms, longest first: header
 * values (whole, the credential after a scheme such as "Bearer", a Basic credential decoded, the
 * values of credential parameters and of every cookie), the URL's user name and password, and the
 * values of its credential-looking query parameters with each decoding a server may apply.
 * Values shorter than MIN_SECRET_LENGTH and setting words such as "true" are left out. Other
 * encodings (percent, base64, JSON, HTML) are not listed: `createRedactor` and `redactText` match
 * them from these.
 *
 * @example
 * ```ts
 * import { secretsOf } from "./redact.ts";
 * console.log(secretsOf("ws://h/ws?token=abc123", { Authorization: "Bearer xyz789" }));
 * // ["Bearer xyz789", "abc123", "xyz789"]
 * ```
 */
export function secretsOf(url: string, headers: Readonly<Record<string, string>>): string[] {
  const candidates: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    candidates.push(...credentialParts(value.trim(), name.toLowerCase() === "cookie"));
  }
  for (const given of givenUrlSecrets(url)) {
    for (const decoded of decodings(given)) candidates.push(...credentialParts(decoded, false));
  }
  return sortedSecrets(candidates);
}

// ---------------------------------------------------------------------------------------------
// Matching secrets in any encoding.
// ---------------------------------------------------------------------------------------------

function escapeForRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

/** A pattern for hex digits in either case ("2f" matches "2F" and "2f"). */
function anyCaseHex(hex: string): string {
  return hex.replace(/[a-fA-F]/g, (digit) => `[${digit.toLowerCase()}${digit.toUpperCase()}]`);
}

function anyCase(word: string): string {
  return word.replace(/[a-zA-Z]/g, (letter) => `[${letter.toLowerCase()}${letter.toUpperCase()}]`);
}

const JSON_SHORT_ESCAPES: Readonly<Record<string, string>> = {
  "\b": "b",
  "\f": "f",
  "\n": "n",
  "\r": "r",
  "\t": "t",
  '"': '"',
  "\\": "\\",
  "/": "/",
};
const HTML_NAMED_ENTITIES: Readonly<Record<string, string>> = {
  "&": "amp",
  "<": "lt",
  ">": "gt",
  '"': "quot",
  "'": "apos",
};
const UTF8 = new TextEncoder();

/** ASCII characters that HTML-safe JSON encoders and HTML encoders write as \uXXXX or &#NN; (as they do all non-ASCII and control characters). */
const ESCAPED_BY_JSON_OR_HTML = new Set(['"', "\\", "/", "<", ">", "&", "'", "=", "`"]);

/**
 * A pattern for one character of a secret as it may appear in text: itself, percent-encoded (any
 * hex case, also encoded again: "%2F", "%252F"), "+" for a space, JSON-escaped (short escapes,
 * also escaped again: "\\\""), CSV-quoted ('""'), and for the characters encoders escape (see
 * ESCAPED_BY_JSON_OR_HTML) \uXXXX and HTML entities (named or numeric). Letters and digits stand
 * for themselves: no encoder touches them.
 */
function characterPattern(character: string): string {
  if (/^[A-Za-z0-9]$/.test(character)) return character;
  // The character itself comes last: the first alternative that lets the whole pattern match is
  // taken, and at a secret's end the escaped forms must win (both backslashes of JSON's escape of
  // a backslash, not only the first).
  const alternatives: string[] = [];
  alternatives.push(
    [...UTF8.encode(character)].map((byte) => `%(?:25)*${anyCaseHex(byte.toString(16).padStart(2, "0"))}`)
      .join(""),
  );
  if (character === " ") alternatives.push("\\+");
  if (character === '"') alternatives.push('""');
  const shortEscape = JSON_SHORT_ESCAPES[character];
  if (shortEscape !== undefined) alternatives.push(`\\\\+${escapeForRegExp(shortEscape)}`);
  const codePoint = character.codePointAt(0)!;
  if (codePoint < 0x20 || codePoint > 0x7e || ESCAPED_BY_JSON_OR_HTML.has(character)) {
    alternatives.push(
      Array.from(
        { length: character.length },
        (_, index) => `\\\\+u${anyCaseHex(character.charCodeAt(index).toString(16).padStart(4, "0"))}`,
      ).join(""),
    );
    alternatives.push(`&#0*${codePoint};`, `&#[xX]0*${anyCaseHex(codePoint.toString(16))};`);
    const named = HTML_NAMED_ENTITIES[character];
    if (named !== undefined) alternatives.push(`&${anyCase(named)};`);
  }
  alternatives.push(escapeForRegExp(character));
  return `(?:${alternatives.join("|")})`;
}

/** A pattern for a secret in text, each character in any of the encodings of characterPattern. */
function textPattern(secret: string): string {
  return Array.from(secret, characterPattern).join("");
}

/** Base64 text as it may appear: "+", "/" and "=" also percent-encoded (in a URL) or "/" JSON-escaped. */
function base64Pattern(encoded: string): string {
  return encoded.replace(
    /[+/]/g,
    (character) => (character === "+" ? "(?:\\+|%(?:25)*2[bB])" : "(?:\\/|%(?:25)*2[fF]|\\\\+\\/)"),
  );
}

/** Below this many characters, a piece of base64 could turn up by chance; whole encodings of a secret are always longer. */
const MIN_BASE64_PIECE = 6;

/**
 * Patterns for a secret base64- or base64url-encoded: the whole encoding (padding optional), and
 * the characters that depend on the secret alone when it is encoded as part of something longer
 * (as "Basic base64(user:secret)"), for each of the three byte alignments it can have there.
 */
function base64Patterns(secret: string): { readonly wholes: string[]; readonly pieces: string[] } {
  const bytes = Buffer.from(secret, "utf8");
  const wholes = new Set<string>();
  const pieces = new Set<string>();
  for (const alphabet of ["base64", "base64url"] as const) {
    const whole = bytes.toString(alphabet).replace(/=+$/, "");
    wholes.add(`${base64Pattern(whole)}(?:=|%(?:25)*3[dD])*`);
    for (let offset = 0; offset < 3; offset++) {
      const shifted = Buffer.concat([Buffer.alloc(offset), bytes]).toString(alphabet);
      const piece = shifted.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
      if (piece.length >= MIN_BASE64_PIECE) pieces.add(base64Pattern(piece));
    }
  }
  return { wholes: [...wholes], pieces: [...pieces] };
}

/** A percent-encoded letter or digit (also encoded again): characterPattern does not match those. */
const ENCODED_LETTER_OR_DIGIT = /%(?:25)*(?:3[0-9]|4[1-9a-fA-F]|5[0-9aA]|6[1-9a-fA-F]|7[0-9aA])/;

/**
 * Whether `secret` is a percent-encoded form (once or twice) of another secret in the list, as the
 * value given in a URL is of its decoded form: that one's pattern already matches it and its
 * further encodings, so it needs no text pattern of its own (a large one: every "%" in it).
 */
function isEncodedFormOfAnother(secret: string, secrets: ReadonlySet<string>): boolean {
  if (ENCODED_LETTER_OR_DIGIT.test(secret)) return false;
  let decoded = secret;
  for (let round = 0; round < 2; round++) {
    const next = percentDecodeLeniently(decoded);
    if (next === decoded) return false;
    if (secrets.has(next)) return true;
    decoded = next;
  }
  return false;
}

/** Length once every percent-encoding is undone: the order in which patterns are tried. */
function decodedLength(secret: string): number {
  let decoded = secret;
  for (let round = 0; round < 3; round++) decoded = percentDecodeLeniently(decoded);
  return decoded.length;
}

/**
 * One RegExp for all the secrets of a run, the alternatives in the order that makes the first to
 * match at a position the longest there: secrets by decoded length, longest first (when one
 * secret's match is a prefix of another's, the other is the longer secret once decoded), text
 * patterns before base64 ones, whole base64 encodings before pieces of them.
 */
function buildMatcher(secrets: readonly string[]): RegExp | null {
  const sorted = sortedSecrets(secrets).sort((a, b) => decodedLength(b) - decodedLength(a));
  const known = new Set(sorted);
  const textSources = sorted.filter((secret) => !isEncodedFormOfAnother(secret, known)).map(textPattern);
  const base64Sources = sorted.map(base64Patterns);
  const sources = new Set([
    ...textSources,
    ...base64Sources.flatMap((patterns) => patterns.wholes),
    ...base64Sources.flatMap((patterns) => patterns.pieces),
  ]);
  if (sources.size === 0) return null;
  const search = new RegExp([...sources].join("|"), "g");
  // V8 compiles a RegExp to machine code at once when it first runs on a long string (on short
  // ones it interprets first and compiles on a later call): done here, the cost (a few
  // milliseconds per secret) is paid when the Redactor is made, not in the middle of a run.
  search.exec(" ".repeat(1024));
  search.lastIndex = 0;
  return search;
}

/**
 * Replaces every span of `text` a secret pattern matches. The search resumes one character after
 * each match's start, so a secret starting inside another's match is found too; overlapping
 * matches are merged into one "[redacted]", so no part of either is left.
 */
function redactMatches(search: RegExp | null, text: string): string {
  if (search === null || text.length < MIN_SECRET_LENGTH) return text;
  let result = "";
  let copiedUpTo = 0;
  let spanStart = -1;
  let spanEnd = -1;
  search.lastIndex = 0;
  for (let match = search.exec(text); match !== null; match = search.exec(text)) {
    const start = match.index;
    const end = start + match[0].length;
    if (start < spanEnd) {
      spanEnd = Math.max(spanEnd, end);
    } else {
      if (spanEnd >= 0) {
        result += text.slice(copiedUpTo, spanStart) + REDACTED;
        copiedUpTo = spanEnd;
      }
      spanStart = start;
      spanEnd = end;
    }
    search.lastIndex = start + 1;
  }
  if (spanEnd < 0) return text;
  return result + text.slice(copiedUpTo, spanStart) + REDACTED + text.slice(spanEnd);
}

const matchersBySecretList = new WeakMap<readonly string[], RegExp | null>();

/**
 * Removes every given secret of at least MIN_SECRET_LENGTH characters from free text, in any of
 * the encodings a `Redactor` recognises. The matcher is built once per secrets array (kept while
 * the array is), so pass the same array on every call; `createRedactor` is the simpler way.
 *
 * @example
 * ```ts
 * import { redactText } from "./redact.ts";
 * console.log(redactText("bad token abc/123 (abc%2f123)", ["abc/123"])); // "bad token [redacted] ([redacted])"
 * ```
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let matcher = matchersBySecretList.get(secrets);
  if (matcher === undefined) {
    matcher = buildMatcher(secrets);
    matchersBySecretList.set(secrets, matcher);
  }
  return redactMatches(matcher, text);
}

/** Removes a run's secrets from anything voxbench is about to show or write. */
export interface Redactor {
  /**
   * `text` with every known secret replaced by "[redacted]", in each form it plausibly takes:
   * raw; percent-encoded in any hex case (encodeURIComponent, encodeURI, "+" for spaces, twice
   * encoded); decoded, when the URL held it encoded; base64 and base64url, whole or inside a longer
   * encoding (a Basic credential); JSON-escaped (short escapes and \uXXXX); CSV-quoted; HTML
   * entities. Secrets shorter than MIN_SECRET_LENGTH are not searched for.
   */
  text(text: string): string;
  /** A URL for display: `redactUrl`, then `text` (a known secret in the path goes too). */
  url(url: string): string;
  /** A thrown value's message (or its String() form), redacted. */
  error(error: unknown): string;
}

/**
 * A Redactor for a run against `url` with handshake `headers` (see secretsOf for what counts as a
 * secret). All the work happens here, once: the patterns are built and compiled (a few
 * milliseconds per secret, so make it before the run's clock starts), and each `text()` call is
 * then one scan with a single RegExp (about 3 ms for 100 KB).
 *
 * @example
 * ```ts
 * import { createRedactor } from "./redact.ts";
 * const redactor = createRedactor("wss://bot.example/ws?api_key=k3y%2Fxyz", { Authorization: "Basic dXNlcjpodW50ZXIy" });
 * console.log(redactor.text("bot said: user:hunter2 / key k3y/xyz, k3y%2fxyz"));
 * // "bot said: [redacted] / key [redacted], [redacted]"
 * ```
 */
export function createRedactor(url: string, headers: Readonly<Record<string, string>>): Redactor {
  const matcher = buildMatcher(secretsOf(url, headers));
  const text = (input: string): string => redactMatches(matcher, input);
  return {
    text,
    url: (input) => text(redactUrl(input)),
    error: (error) => text(error instanceof Error ? error.message : String(error)),
  };
}
