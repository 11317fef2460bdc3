import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { redactHeaders, redactText, redactUrl } from "../../src/common/redact.ts";
import { sanitizeForTerminal } from "../../src/report/sanitize.ts";
import { createRandom } from "../../src/common/random.ts";
import { pickScenario, scenarioMix } from "../../src/scenarios/registry.ts";
import { parseRunFlags } from "../../src/commands/run-flags.ts";
import { UsageError } from "../../src/common/errors.ts";

describe("redaction", () => {
  test("URL passwords and token-like query values", () => {
    assert.equal(
      redactUrl("wss://bob:hunter2@bot.example/ws?token=abc&lang=en"),
      "wss://[redacted]:[redacted]@bot.example/ws?token=[redacted]&lang=en",
    );
    assert.equal(
      redactUrl("ws://localhost:8000/ws?api_key=k1&Authorization=Bearer%20x"),
      "ws://localhost:8000/ws?api_key=[redacted]&Authorization=[redacted]",
    );
    assert.equal(redactUrl("ws://localhost:8000/ws"), "ws://localhost:8000/ws");
  });
  test("headers keep their names only; free text loses known secrets", () => {
    assert.deepEqual(redactHeaders({ Authorization: "Bearer x", "X-Api-Key": "y" }), {
      Authorization: "[redacted]",
      "X-Api-Key": "[redacted]",
    });
    assert.equal(
      redactText("rejected token Bearer abcd1234", ["Bearer abcd1234"]),
      "rejected token [redacted]",
    );
  });
});

describe("terminal sanitising", () => {
  test("escape sequences and control characters are removed", () => {
    assert.equal(
      sanitizeForTerminal("\u001b[2J\u001b[31mred\u001b[0m \u001b]0;title\u0007ok\u0000\u0008 \u202eevil"),
      "red okevil".replace("okevil", "ok evil"),
    );
    assert.equal(sanitizeForTerminal("line1\nline2\r\n"), "line1 line2 ");
  });
});

describe("scenario mix", () => {
  test("picks follow the weights", () => {
    const mix = scenarioMix({ simple_query: 0.6, tool_call: 0.2, interruption: 0.1, false_alarm: 0.1 });
    const random = createRandom(1);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 20000; i++) {
      const name = pickScenario(mix, random).name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    assert.ok(Math.abs(counts.simple_query! / 20000 - 0.6) < 0.015);
    assert.ok(Math.abs(counts.tool_call! / 20000 - 0.2) < 0.015);
    assert.ok(Math.abs(counts.interruption! / 20000 - 0.1) < 0.015);
    assert.ok(Math.abs(counts.false_alarm! / 20000 - 0.1) < 0.015);
  });
  test("weights need not sum to 1; zero weights are never picked; all zero, a negative weight or an unknown name is a usage error", () => {
    const mix = scenarioMix({ simple_query: 3, tool_call: 0, interruption: 1, false_alarm: 0 });
    assert.deepEqual(mix.map((entry) => entry.scenario.name), ["simple_query", "interruption"]);
    assert.throws(
      () => scenarioMix({ simple_query: 0, tool_call: 0, interruption: 0, false_alarm: 0 }),
      UsageError,
    );
    assert.throws(
      () => scenarioMix({ simple_query: -1, tool_call: 0, interruption: 0, false_alarm: 0 }),
      UsageError,
    );
    assert.throws(() => scenarioMix({ simple: 1 }), /"simple", which is not a scenario/);
  });
});

describe("run flags", () => {
  test("the old guide's flags map onto run options", () => {
    const flags = parseRunFlags({
      server: "ws://localhost:8000/ws",
      concurrency: 10,
      requests: 5,
      simple: 0.2,
      tools: 0,
      interruptions: 0.5,
      falseAlarms: 0.3,
    });
    assert.deepEqual(flags.options.weights, { simple: 0.2, tools: 0, interruptions: 0.5, falseAlarms: 0.3 });
    assert.equal(flags.options.concurrency, 10);
    assert.equal(flags.export, true);
    assert.equal(flags.exportDir, "exports");
  });
  test("think time, headers, timeouts, wire format, no-export", () => {
    const flags = parseRunFlags({
      thinkTime: "0.5-2",
      header: ["Authorization: Bearer x", "X-Team: voice"],
      timeoutTool: 60,
      encoding: "mulaw",
      export: false,
      quiet: true,
    });
    assert.deepEqual(flags.options.thinkTimeS, { min: 0.5, max: 2 });
    assert.deepEqual(flags.options.headers, { Authorization: "Bearer x", "X-Team": "voice" });
    assert.equal(flags.options.timeoutsS?.tool, 60);
    assert.deepEqual(flags.options.wireFormat, { encoding: "mulaw", sampleRateHz: 8000 });
    assert.equal(flags.export, false);
    assert.equal(flags.quiet, true);
    assert.deepEqual(parseRunFlags({ sampleRate: 24000, frameMs: 40 }).options.wireFormat, {
      encoding: "pcm16",
      sampleRateHz: 24000,
      frameMs: 40,
    });
    assert.throws(() => parseRunFlags({ frameMs: -20 }), UsageError);
    assert.deepEqual(parseRunFlags({ thinkTime: 1 }).options.thinkTimeS, { min: 1, max: 1 });
    assert.throws(() => parseRunFlags({ runId: "../escape" }), UsageError);
  });
});
