import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  createRedactor,
  describeHeaderForError,
  isCredentialParameterName,
  MIN_SECRET_LENGTH,
  REDACTED,
  type Redactor,
  redactText,
  redactUrl,
  redactUrlText,
  secretsOf,
} from "../../src/common/redact.ts";
import { createRandom, type Random } from "../../src/common/random.ts";

/** Characters that need some encoding somewhere (URL, JSON, HTML, CSV), mixed into generated secrets. */
const AWKWARD_CHARACTERS = [
  " ",
  "+",
  "/",
  "=",
  "&",
  "%",
  "#",
  "?",
  "@",
  ":",
  ";",
  "é",
  "ü",
  "日",
  "😀",
  '"',
  "'",
  "<",
  ">",
  "\\",
  "-",
  "_",
  ".",
  "~",
  "!",
  "*",
  "(",
  ")",
];
const PLAIN_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/**
 * A secret of 6 to 26 characters, about a third of them awkward, never starting or ending with a
 * space (header values are trimmed). Half of them start with "k" and end with "z", so that many
 * secrets of a run compete at the same positions; the others may start or end with anything.
 */
function generateSecret(random: Random): string {
  const length = 8 + random.index(17);
  let secret = "";
  while (Array.from(secret).length < length) {
    secret += random.next() < 0.35
      ? AWKWARD_CHARACTERS[random.index(AWKWARD_CHARACTERS.length)]!
      : PLAIN_CHARACTERS[random.index(PLAIN_CHARACTERS.length)]!;
  }
  return random.next() < 0.5 ? `k${secret.trim()}z` : secret.trim();
}

const CREDENTIAL_NAMES = [
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "auth",
  "authorization",
  "key",
  "api_key",
  "apikey",
  "x-api-key",
  "apiKey",
  "API-KEY",
  "secret",
  "client_secret",
  "password",
  "passwd",
  "pass",
  "pwd",
  "signature",
  "sig",
  "X-Amz-Signature",
  "X-Amz-Credential",
  "X-Amz-Security-Token",
  "session",
  "session_id",
  "sessionId",
  "jwt",
  "bearer",
  "credential",
  "credentials",
  "code",
  "ticket",
  "cookie",
  "private",
  "private_key",
  "subscription-key",
  "access.token",
  "Token",
];
const INNOCENT_PARAMETERS: ReadonlyArray<readonly [string, string]> = [
  ["lang", "en"],
  ["model", "gpt-4o-mini"],
  ["codec", "opus"],
  ["language_code", "en-US"],
  ["sample_rate", "16000"],
  ["voice", "alloy"],
  ["keyframe_interval", "2000"],
  ["signal", "strong"],
];

/** How one secret was given to the run. */
interface GivenSecret {
  readonly secret: string;
  readonly source: string;
}

/** One run's configuration holding seven generated secrets, each given a different way. */
interface GeneratedRun {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly given: readonly GivenSecret[];
}

const HOST_AND_PATH = "bot.example:8443/ws";
const INNOCENT_QUERY = INNOCENT_PARAMETERS.map(([name, value]) => `${name}=${value}`).join("&");

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

function formEncoded(text: string): string {
  return new URLSearchParams({ x: text }).toString().slice(2);
}

/**
 * A run whose headers carry a secret plainly, after "Bearer" and inside a Basic credential, whose
 * URL userinfo carries one (as the user name alone or as the password, alternately), and whose
 * query carries three under credential-looking names: percent-encoded, double-encoded and
 * form-encoded, among innocent parameters. One Redactor per run keeps the test fast (building one
 * compiles its patterns); the secrets are random, so none hides another.
 */
function generateRun(random: Random, runIndex: number): GeneratedRun {
  const [plain, bearer, basic, userinfo, encoded, doubleEncoded, form] = Array.from(
    { length: 7 },
    () => generateSecret(random),
  );
  const names = Array.from(
    { length: 3 },
    (_, index) => CREDENTIAL_NAMES[(runIndex * 3 + index) % CREDENTIAL_NAMES.length]!,
  );
  const asUserName = runIndex % 2 === 0;
  const query = [
    `${names[0]}=${encodeURIComponent(encoded!)}`,
    INNOCENT_QUERY,
    `${names[1]}=${encodeURIComponent(encodeURIComponent(doubleEncoded!))}`,
    `${names[2]}=${formEncoded(form!)}`,
  ].join("&");
  return {
    url: `wss://${asUserName ? "" : "user:"}${encodeURIComponent(userinfo!)}@${HOST_AND_PATH}?${query}`,
    headers: {
      "X-Api-Key": plain!,
      Authorization: `Bearer ${bearer!}`,
      "Proxy-Authorization": `Basic ${base64(`user:${basic!}`)}`,
    },
    given: [
      { secret: plain!, source: "plain header" },
      { secret: bearer!, source: "Bearer header" },
      { secret: basic!, source: "Basic header" },
      { secret: userinfo!, source: asUserName ? "URL user name" : "URL password" },
      { secret: encoded!, source: `query ${names[0]}` },
      { secret: doubleEncoded!, source: `query ${names[1]} double-encoded` },
      { secret: form!, source: `query ${names[2]} form-encoded` },
    ],
  };
}

function lowerCaseHex(text: string): string {
  return text.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
}

function htmlEscape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (character) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[character]!,
  );
}

/** JSON as Python's json.dumps writes it by default (non-ASCII as \uXXXX), with Go's HTML-safe escapes of <, > and &. */
function asciiJson(text: string): string {
  return JSON.stringify(text)
    .slice(1, -1)
    .replace(
      /[\u0080-\uffff<>&]/g,
      (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
}

/** Every encoding a secret is checked in. */
const ENCODINGS: ReadonlyArray<readonly [string, (secret: string) => string]> = [
  ["raw", (secret) => secret],
  ["encodeURIComponent", encodeURIComponent],
  ["encodeURI", encodeURI],
  ["lower-case hex", (secret) => lowerCaseHex(encodeURIComponent(secret))],
  ["form (+ for spaces)", formEncoded],
  ["double percent-encoded", (secret) => encodeURIComponent(encodeURIComponent(secret))],
  ["base64", base64],
  ["base64 unpadded", (secret) => base64(secret).replace(/=+$/, "")],
  ["base64url", (secret) => Buffer.from(secret, "utf8").toString("base64url")],
  ["base64 of u:secret", (secret) => base64(`u:${secret}`)],
  ["base64 of us:secret", (secret) => base64(`us:${secret}`)],
  ["base64 of usr:secret", (secret) => base64(`usr:${secret}`)],
  ["JSON-escaped", (secret) => JSON.stringify(secret).slice(1, -1)],
  ["JSON with \\u00XX escapes", asciiJson],
  ["JSON escaped twice", (secret) => JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1)],
  ["HTML-escaped", htmlEscape],
  ["CSV-quoted", (secret) => secret.replace(/"/g, '""')],
];

const CONTEXT_WORDS = ["the bot said", "then", "done"];

/** The encoded secret at the start, inside a sentence, repeated back to back, and at the end. */
function textAround(encoded: string): string {
  return `${encoded} the bot said "${encoded}" then ${encoded}${encoded}, done ${encoded}`;
}

function assertHidden(redactor: Redactor, secret: string, label: string): void {
  for (const [encodingName, encode] of ENCODINGS) {
    const encoded = encode(secret);
    const output = redactor.text(textAround(encoded));
    const where = `${label}, ${encodingName}: ${JSON.stringify(secret)} -> ${JSON.stringify(output)}`;
    assert.ok(!output.includes(encoded), `still there (${where})`);
    if (encoded !== secret) assert.ok(!output.includes(secret), `plain form still there (${where})`);
    assert.ok(output.includes(REDACTED), `nothing redacted (${where})`);
    // Inside a longer base64 encoding, the characters that also carry the bytes around the secret stay.
    if (!encodingName.startsWith("base64 of")) {
      assert.ok(
        output.startsWith(REDACTED) && output.endsWith(REDACTED),
        `not redacted at start and end (${where})`,
      );
    }
    for (const word of CONTEXT_WORDS) assert.ok(output.includes(word), `surrounding text lost (${where})`);
  }
}

describe("Redactor: generated secrets in every source and encoding", () => {
  const random = createRandom(20240611);
  const runs = Array.from({ length: 40 }, (_, runIndex) => generateRun(random, runIndex));
  const secrets = runs.flatMap((run) => run.given.map(({ secret }) => secret));

  test("each secret, given as a header, URL userinfo or credential parameter, is removed in every encoding", () => {
    let cases = 0;
    for (const run of runs) {
      const redactor = createRedactor(run.url, run.headers);
      for (const { secret, source } of run.given) {
        assertHidden(redactor, secret, source);
        cases++;
      }
    }
    assert.equal(cases, 280);
  });

  test("the URL for display never shows a secret, and keeps the innocent parameters", () => {
    for (const run of runs) {
      const shown = redactUrl(run.url);
      for (const { secret, source } of run.given.filter(({ source }) => !source.endsWith("header"))) {
        for (
          const form of [
            secret,
            encodeURIComponent(secret),
            encodeURIComponent(encodeURIComponent(secret)),
            formEncoded(secret),
          ]
        ) {
          assert.ok(!shown.includes(form), `${source}: ${shown}`);
        }
      }
      assert.ok(shown.startsWith(`wss://${REDACTED}`), shown);
      assert.ok(shown.includes(`@${HOST_AND_PATH}?`), shown);
      assert.ok(shown.includes(`&${INNOCENT_QUERY}&`), shown);
      assert.equal(shown.split(REDACTED).length - 1, run.url.includes("user:") ? 5 : 4, shown);
    }
  });

  test("a usage error describing a header shows at most its name", () => {
    for (const secret of secrets) {
      for (
        const raw of [
          secret,
          `Bearer ${secret}`,
          `Authorization: Bearer ${secret}`,
          `X Api: ${secret}`,
          `: ${secret}`,
          `Authorization ${secret}`,
        ]
      ) {
        const described = describeHeaderForError(raw);
        assert.ok(described.includes(REDACTED), described);
        // Only a valid header name before the first ":" may show (a secret shaped "name:rest" shows
        // its "name", as any header name would); nothing after it ever does.
        const colon = raw.indexOf(":");
        const value = colon >= 0 ? raw.slice(colon + 1).trim() : raw;
        const name = colon >= 0 ? raw.slice(0, colon).trim() : "";
        const hidden = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(name) ? value : raw;
        if (hidden.length >= MIN_SECRET_LENGTH) {
          assert.ok(!described.includes(hidden), `${JSON.stringify(raw)} shown: ${described}`);
        }
        for (const piece of hidden.split(/[:\s]/).filter((piece) => piece.length >= MIN_SECRET_LENGTH)) {
          assert.ok(
            !described.includes(piece),
            `${JSON.stringify(piece)} of ${JSON.stringify(raw)} shown: ${described}`,
          );
        }
      }
      assert.equal(describeHeaderForError(`X-Api-Key: ${secret}`), `"X-Api-Key: ${REDACTED}"`);
    }
  });
});

describe("credential-looking parameter names", () => {
  test("every name on the list counts, in any case and with any separator", () => {
    for (const name of CREDENTIAL_NAMES) {
      for (
        const variant of [
          name,
          name.toUpperCase(),
          name.replace(/[-_.]/g, "_"),
          name.replace(/[-_.]/g, "-"),
          name.replace(/[-_.]/g, "."),
        ]
      ) {
        assert.ok(isCredentialParameterName(variant), variant);
      }
    }
    for (
      const name of [
        "PHPSESSID",
        "sid",
        "pin",
        "otp",
        "accessKeyId",
        "AWSAccessKeyId",
        "oauth_code",
        "auth_code",
        "passphrase",
      ]
    ) {
      assert.ok(isCredentialParameterName(name), name);
    }
  });

  test("innocent names are kept", () => {
    for (const [name] of INNOCENT_PARAMETERS) assert.ok(!isCredentialParameterName(name), name);
    for (
      const name of [
        "format",
        "encoding",
        "user",
        "client_id",
        "room",
        "keyword",
        "design",
        "bypass",
        "passive",
        "v",
      ]
    ) {
      assert.ok(!isCredentialParameterName(name), name);
    }
  });

  test("innocent parameter values survive in the URL and in text", () => {
    const redactor = createRedactor(`${`wss://${HOST_AND_PATH}`}?${INNOCENT_QUERY}&token=t0k3n-value`, {});
    assert.equal(
      redactUrl(`${`wss://${HOST_AND_PATH}`}?${INNOCENT_QUERY}&token=t0k3n-value`),
      `${`wss://${HOST_AND_PATH}`}?${INNOCENT_QUERY}&token=${REDACTED}`,
    );
    const text = INNOCENT_PARAMETERS.map(([, value]) => value).join(" ");
    assert.equal(redactor.text(text), text);
  });
});

describe("redactUrl", () => {
  test("user name and password are both credentials", () => {
    assert.equal(redactUrl("wss://TOKEN123@host/ws"), `wss://${REDACTED}@host/ws`);
    assert.equal(redactUrl("wss://bob:hunter2@host/ws"), `wss://${REDACTED}:${REDACTED}@host/ws`);
    assert.equal(redactUrl("wss://:hunter2@host/ws"), `wss://:${REDACTED}@host/ws`);
    assert.equal(redactUrl("wss://bob:@host/ws"), `wss://${REDACTED}:@host/ws`);
    assert.equal(redactUrl("wss://a%40b:p%3Aw@host/ws"), `wss://${REDACTED}:${REDACTED}@host/ws`);
  });

  test("credential parameters in the query and the fragment; ';' separated pairs; encoded names", () => {
    assert.equal(
      redactUrl("ws://h/ws?lang=en&Api%5FKey=k1&model=gpt"),
      `ws://h/ws?lang=en&Api%5FKey=${REDACTED}&model=gpt`,
    );
    assert.equal(redactUrl("ws://h/ws?a=1;token=xyz;b=2&lang=en"), `ws://h/ws?a=1;token=${REDACTED}&lang=en`);
    assert.equal(redactUrl("ws://h/ws?token=ab;cd&lang=en"), `ws://h/ws?token=${REDACTED}&lang=en`);
    assert.equal(
      redactUrl("ws://h/ws#access_token=xyz&state=1"),
      `ws://h/ws#access_token=${REDACTED}&state=1`,
    );
    assert.equal(redactUrl("ws://h/ws?token=&flag"), "ws://h/ws?token=&flag");
    assert.equal(redactUrl("ws://localhost:8000/ws"), "ws://localhost:8000/ws");
  });

  test("text that is not a URL falls back to redactUrlText", () => {
    assert.equal(redactUrl("wss://u:pw@h:99999/ws?lang=en"), `wss://${REDACTED}@h:99999/ws?lang=${REDACTED}`);
  });
});

describe("redactUrlText: best effort on malformed URLs", () => {
  const cases: ReadonlyArray<readonly [string, string, readonly string[]]> = [
    ["ws//user:pw@host?token=abc", `ws//${REDACTED}@host?token=${REDACTED}`, ["user", "pw", "abc"]],
    ["http:/x?key=sekret", `http:/x?key=${REDACTED}`, ["sekret"]],
    ["wss://h:99999/ws?api_key=zzz", `wss://h:99999/ws?api_key=${REDACTED}`, ["zzz"]],
    ["wss://user:p/w@host/ws", `wss://${REDACTED}@host/ws`, ["user", "p/w"]],
    ["wss://user:p?w@host/ws?x=1", `wss://${REDACTED}@host/ws?x=${REDACTED}`, ["user", "p?w"]],
    ["user:pw@host/ws", `${REDACTED}@host/ws`, ["user", "pw"]],
    ["ws://host/ws?email=a@b.com&token=t0kval", `ws://${REDACTED}@b.com&token=${REDACTED}`, ["t0kval"]],
    ["ws://host with space/ws;session=s3ss?v", `ws://host with space/ws;session=${REDACTED}?${REDACTED}`, [
      "s3ss",
    ]],
    ["ws://h/ws#tok3n", `ws://h/ws#${REDACTED}`, ["tok3n"]],
    ["not a url at all", "not a url at all", []],
  ];
  for (const [input, expected, hidden] of cases) {
    test(input, () => {
      const output = redactUrlText(input);
      assert.equal(output, expected);
      for (const secret of hidden) assert.ok(!output.includes(secret), `${secret} in ${output}`);
    });
  }
});

describe("describeHeaderForError", () => {
  test("names what is wrong without showing the value", () => {
    assert.equal(describeHeaderForError("Authorization: Bearer xyz"), `"Authorization: ${REDACTED}"`);
    assert.equal(describeHeaderForError("Bearer xyz"), `${REDACTED}, which has no ":"`);
    assert.equal(describeHeaderForError(": xyz"), `${REDACTED}, whose name before ":" is empty`);
    assert.equal(
      describeHeaderForError("Bearer xyz:abc"),
      `${REDACTED}, whose name before ":" is not a valid header name`,
    );
    assert.equal(
      describeHeaderForError(`${"a".repeat(65)}: v`),
      `${REDACTED}, whose name before ":" is not a valid header name`,
    );
  });
});

describe("secret collection", () => {
  test("secretsOf lists the plain forms, longest first", () => {
    assert.deepEqual(secretsOf("ws://h/ws?token=abc123", { Authorization: "Bearer xyz789" }), [
      "Bearer xyz789",
      "abc123",
      "xyz789",
    ]);
    assert.deepEqual(secretsOf("wss://u:p%40ss@h/ws?sig=a%2Bb%20c", {}), [
      "a%2Bb%20c",
      "u:p%40ss",
      "p%40ss",
      "u:p@ss",
      "a b c",
      "a+b c",
      "p@ss",
    ]);
  });

  test(`secrets shorter than ${MIN_SECRET_LENGTH} characters and setting words are not searched for in text`, () => {
    const redactor = createRedactor("ws://h/ws?private=true&sig=abc", { "X-Id": "xyz" });
    assert.equal(
      redactUrl("ws://h/ws?private=true&sig=abc"),
      `ws://h/ws?private=${REDACTED}&sig=${REDACTED}`,
    );
    assert.equal(redactor.text(`{"ok": true, "id": "xyz", "abc": 1}`), `{"ok": true, "id": "xyz", "abc": 1}`);
  });

  test("cookie values, auth parameters and a Basic credential's parts", () => {
    const redactor = createRedactor("ws://h/ws", {
      Cookie: "sessionid=c00kie-value; theme=midnight",
      "X-Amz-Auth":
        "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1, SignedHeaders=host, Signature=deadbeef1234",
      Authorization: "Basic dXNlcjpodW50ZXIy",
    });
    const output = redactor.text(
      "c00kie-value midnight AKIAEXAMPLE/20240101/us-east-1 deadbeef1234 user:hunter2 hunter2 host",
    );
    assert.equal(output, `${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} host`);
  });

  test('a credential value holding ";" is a secret whole and up to the ";"', () => {
    const redactor = createRedactor("ws://h/ws?token=ab12;cd34&lang=en", {});
    assert.equal(redactor.text("saw ab12;cd34 and ab12 alone"), `saw ${REDACTED} and ${REDACTED} alone`);
  });

  test("overlapping secrets are hidden as one span", () => {
    const redactor = createRedactor("ws://h/ws?token=abcd1234&key=1234wxyz", {});
    assert.equal(redactor.text("<abcd1234wxyz>"), `<${REDACTED}>`);
  });

  test("redactText keeps working with a list of secrets, now in every encoding", () => {
    const secrets = ["Bearer abcd1234", "abcd/1234"];
    assert.equal(redactText("rejected token Bearer abcd1234", secrets), `rejected token ${REDACTED}`);
    assert.equal(
      redactText("echo abcd%2f1234 and YWJjZC8xMjM0", secrets),
      `echo ${REDACTED} and ${REDACTED}`,
    );
  });

  test("the Redactor's url() and error() helpers", () => {
    const redactor = createRedactor("wss://bot.example/ws?api_key=k3y%2Fxyz", {
      Authorization: "Basic dXNlcjpodW50ZXIy",
    });
    assert.equal(
      redactor.url("wss://bot.example/k3y%2Fxyz/ws?lang=en"),
      `wss://bot.example/${REDACTED}/ws?lang=en`,
    );
    assert.equal(redactor.error(new Error("401 for user:hunter2")), `401 for ${REDACTED}`);
    assert.equal(redactor.error("k3y/xyz"), REDACTED);
  });
});

describe("performance", () => {
  test("text() scans 100 KB holding ten secrets in a few milliseconds", () => {
    const random = createRandom(7);
    const secrets = Array.from({ length: 5 }, () => generateSecret(random));
    const query = secrets.map((secret, index) => `${CREDENTIAL_NAMES[index]}=${encodeURIComponent(secret)}`)
      .join("&");
    const headers = {
      Authorization: `Bearer ${generateSecret(random)}`,
      "X-Api-Key": generateSecret(random),
    };
    const redactor = createRedactor(
      `wss://${encodeURIComponent(generateSecret(random))}@bot.example/ws?${query}`,
      headers,
    );
    const words = [
      "the",
      "caller",
      "asked",
      "about",
      "their",
      "order",
      "status",
      "and",
      "the",
      "bot",
      "replied",
      "politely",
    ];
    const parts: string[] = [];
    let length = 0;
    while (length < 100_000) {
      const word = words[random.index(words.length)]!;
      parts.push(word);
      length += word.length + 1;
    }
    for (let index = 0; index < 10; index++) {
      const secret = secrets[index % secrets.length]!;
      const [, encode] = ENCODINGS[random.index(ENCODINGS.length)]!;
      parts.splice(random.index(parts.length), 0, encode(secret));
    }
    const text = parts.join(" ");
    redactor.text(text);
    const startedAt = performance.now();
    const rounds = 5;
    let output = "";
    for (let round = 0; round < rounds; round++) output = redactor.text(text);
    const perCallMs = (performance.now() - startedAt) / rounds;
    assert.ok((output.match(/\[redacted\]/g) ?? []).length >= 10);
    for (const secret of secrets) assert.ok(!output.includes(secret));
    assert.ok(perCallMs < 50, `text() took ${perCallMs.toFixed(1)} ms on 100 KB`);
  });
});
