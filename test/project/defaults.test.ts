/**
 * One truth for defaults: every default that `--help` states for a run flag, and every default
 * docs/commands.md gives for it, is the value the library actually runs with (RUN_DEFAULTS through
 * resolveRunConfig); the same for the capacity search's flags, the reference bot's (SERVER_DEFAULTS),
 * and those of compare, audio and merge.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseRunFlags, RUN_FLAGS } from "../../src/commands/run-flags.ts";
import { SERVE_FLAGS } from "../../src/commands/serve-flags.ts";
import { CAPACITY_FLAGS, parseCapacityFlags } from "../../src/commands/capacity-flags.ts";
import { AUDIO_FLAGS, audioTarget } from "../../src/commands/audio-command.ts";
import { COMPARE_DEFAULTS, COMPARE_FLAGS } from "../../src/commands/compare-command.ts";
import { MERGE_FLAGS } from "../../src/commands/merge-command.ts";
import { DEFAULT_EXPORT_DIR } from "../../src/report/exports.ts";
import { resolveRunConfig } from "../../src/load/options.ts";
import { SERVER_DEFAULTS } from "../../src/server/options.ts";
import type { Distribution } from "../../src/server/latency-model.ts";

const docs = readFileSync(fileURLToPath(new URL("../../docs/commands.md", import.meta.url)), "utf8");

/** The value a help text states as its default, e.g. "(default 10)" -> "10"; undefined for "(default: ...)" prose. */
function statedDefault(description: string): string | undefined {
  const value = /\(default ([^\s;)]+)/.exec(description)?.[1]?.replace(/[:,]$/, "");
  return value === "" ? undefined : value;
}

/** The first backticked value in a docs/commands.md table row's last cell, for the first row of `flag` after `section`. */
function documentedDefault(section: string, flag: string): string | undefined {
  const from = docs.indexOf(section);
  assert.ok(from >= 0, `docs/commands.md has no section ${section}`);
  const row = docs.slice(from).split("\n").find((line) => line.startsWith(`| \`${flag}`));
  if (row === undefined) return undefined;
  const cells = row.split(/(?<!\\)\|/).map((cell) => cell.trim()).filter((cell) => cell !== "");
  return /^`([^`]+)`/.exec(cells.at(-1) ?? "")?.[1];
}

const flagOf = (name: string): string => name.split(" ")[0]!;

function checkFlags(
  flags: readonly { readonly name: string; readonly description: string }[],
  expected: Readonly<Record<string, string>>,
  section: string,
): number {
  let checked = 0;
  for (const { name, description } of flags) {
    const flag = flagOf(name);
    const stated = statedDefault(description);
    if (stated === undefined || stated.startsWith("--")) continue;
    assert.ok(
      flag in expected,
      `${flag} states "(default ${stated})" in --help: add what the code runs with to this test`,
    );
    assert.equal(
      stated,
      expected[flag],
      `${flag}: --help says default ${stated}, the code runs with ${expected[flag]}`,
    );
    const documented = documentedDefault(section, flag);
    if (documented !== undefined) {
      assert.equal(
        documented,
        expected[flag],
        `${flag}: docs/commands.md says default ${documented}, the code runs with ${expected[flag]}`,
      );
    }
    checked++;
  }
  return checked;
}

test("every default --help and docs/commands.md state for a run flag is the one the code runs with", () => {
  const config = resolveRunConfig({ seed: 1 }, "bundled fixtures");
  const open = resolveRunConfig({ seed: 1, arrivalRate: 1, durationS: 1 }, "bundled fixtures").open!;
  const realtime = resolveRunConfig({ seed: 1, protocol: "openai-realtime" }, "bundled fixtures");
  const staged = resolveRunConfig({ seed: 1, stages: "1s:1" }, "bundled fixtures").closedStages!;
  const cli = parseRunFlags({});
  const expected: Record<string, string> = {
    "--server": config.server,
    "--protocol": config.protocol,
    "--realtime-api": String(realtime.protocolSettings?.api),
    "--tool-result-ms": String(config.toolResultMs),
    "--arrivals": open.arrivals,
    "--max-calls": String(open.maxCalls),
    "--stages": String(staged.from),
    "--window": `${config.windowS}s`,
    "--concurrency": String(config.concurrency),
    "--requests": String(config.requests),
    "--ramp-up": String(config.rampUpS),
    "--simple": String(config.mix.simple_query),
    "--tools": String(config.mix.tool_call),
    "--interruptions": String(config.mix.interruption),
    "--false-alarms": String(config.mix.false_alarm),
    "--think-time": `${config.thinkTimeS.min}-${config.thinkTimeS.max}`,
    "--sample-rate": String(config.wireFormat.sampleRateHz),
    "--encoding": config.wireFormat.encoding,
    "--frame-ms": String(config.wireFormat.frameMs),
    "--timeout-simple": String(config.timeoutsS.simple_query),
    "--timeout-tool": String(config.timeoutsS.tool_call),
    "--timeout-interruption": String(config.timeoutsS.interruption),
    "--timeout-false-alarm": String(config.timeoutsS.false_alarm),
    "--connect-timeout": String(config.connectTimeoutS),
    "--idle-ms": String(config.idleMs),
    "--reply-end": config.replyEnd,
    "--max-gap-ms": String(config.maxGapMs),
    "--max-message-bytes": String(config.maxMessageBytes),
    "--max-lag-ms": String(config.maxLagMs),
    "--workers": String(config.workers),
    "--reconnect": config.reconnect ? "on" : "off",
    "--export-dir": cli.exportDir,
    "--metrics-linger": `${cli.metricsLingerS}s`,
  };
  const checked = checkFlags(RUN_FLAGS, expected, "### `voxbench run`");
  assert.ok(checked >= 30, `only ${checked} run flags state a default`);
});

test("every default --help and docs/commands.md state for a serve flag is the one the bot runs with", () => {
  const distribution = (value: Distribution): string =>
    value.kind === "fixed" ? String(value.ms) : `${value.medianMs},${value.p95Ms}`;
  const expected: Record<string, string> = {
    "--protocol": "speech-events",
    "--host": SERVER_DEFAULTS.host,
    "--port": String(SERVER_DEFAULTS.port),
    "--seed": String(SERVER_DEFAULTS.seed),
    "--stt-ms": distribution(SERVER_DEFAULTS.sttMs),
    "--llm-ttft-ms": distribution(SERVER_DEFAULTS.llmTtftMs),
    "--tts-ttfb-ms": distribution(SERVER_DEFAULTS.ttsTtfbMs),
    "--tool-ms": distribution(SERVER_DEFAULTS.toolMs),
    "--chunk-ms": String(SERVER_DEFAULTS.chunkMs),
    "--pace": String(SERVER_DEFAULTS.pace),
    "--leading-silence-ms": String(SERVER_DEFAULTS.leadingSilenceMs),
    "--reply-sample-rate": String(SERVER_DEFAULTS.replyFormat.sampleRateHz),
    "--reply-encoding": SERVER_DEFAULTS.replyFormat.encoding,
    "--input-sample-rate": String(SERVER_DEFAULTS.inputSampleRateHz),
    "--noise-threshold-ms": String(SERVER_DEFAULTS.noiseThresholdMs),
    "--endpointing-ms": String(SERVER_DEFAULTS.endpointingMs),
    "--min-speech-ms": String(SERVER_DEFAULTS.minSpeechMs),
    "--tool-threshold-ms": String(SERVER_DEFAULTS.toolThresholdMs),
    "--fault-rate": String(SERVER_DEFAULTS.faults.rate),
    "--slow-handshake-ms": String(SERVER_DEFAULTS.faults.slowHandshakeMs),
    "--drop-chunk-percent": String(SERVER_DEFAULTS.faults.dropChunkPercent),
  };
  const checked = checkFlags(SERVE_FLAGS, expected, "### `voxbench serve`");
  assert.ok(checked >= 18, `only ${checked} serve flags state a default`);
});

test("every default --help and docs/commands.md state for a capacity flag is the one the search runs with", () => {
  const settings = parseCapacityFlags({}, { thresholds: ["ttft.p95<1000"] });
  const minutes = settings.maxDurationS / 60;
  const expected: Record<string, string> = {
    "--step": String(settings.plan.stepLoad),
    "--hold": `${settings.step.holdS}s`,
    "--warmup": `${settings.step.warmupS}s`,
    "--max-load": String(settings.plan.maxLoad),
    "--max-duration": Number.isInteger(minutes) ? `${minutes}m` : `${settings.maxDurationS}s`,
  };
  const checked = checkFlags(CAPACITY_FLAGS, expected, "### `voxbench capacity`");
  assert.ok(checked >= 5, `only ${checked} capacity flags state a default`);
});

test("every default --help and docs/commands.md state for compare, audio and merge is the one they run with", () => {
  const target = audioTarget({});
  const checks: [typeof COMPARE_FLAGS, Record<string, string>, string][] = [
    [COMPARE_FLAGS, {
      "--max-regression": String(COMPARE_DEFAULTS.maxRegressionPercent),
      "--alpha": String(COMPARE_DEFAULTS.alpha),
    }, "### `voxbench compare"],
    [
      AUDIO_FLAGS,
      { "--sample-rate": String(target.sampleRateHz), "--encoding": target.encoding },
      "### `voxbench audio",
    ],
    [MERGE_FLAGS, { "--export-dir": DEFAULT_EXPORT_DIR }, "### `voxbench merge"],
  ];
  for (const [flags, expected, section] of checks) {
    assert.equal(checkFlags(flags, expected, section), Object.keys(expected).length, section);
  }
});
