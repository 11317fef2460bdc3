/**
 * The public API (what `import ... from "voxbench"` gives) is pinned: a name added or removed here
 * is a deliberate change to what users may depend on, made together with docs/library.md.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as voxbench from "../../src/mod.ts";

const PUBLIC_VALUES = [
  "AUDIO_ROLES",
  "AudioAsset",
  "AudioError",
  "BUILT_IN_SCENARIOS",
  "DEFAULT_FRAME_MS",
  "DEFAULT_MIX",
  "DEFAULT_PROTOCOL",
  "DEFAULT_VAD_OPTIONS",
  "DeadlineScheduler",
  "ExitCode",
  "FAULT_KINDS",
  "OUTCOMES",
  "PROTOCOLS",
  "RUN_DEFAULTS",
  "SERVER_DEFAULTS",
  "SUMMARY_METRICS",
  "SUMMARY_SCHEMA_VERSION",
  "TURN_COLUMNS",
  "TurnContext",
  "TurnFailure",
  "UsageError",
  "VERSION",
  "WS_PATH",
  "bundledFixturesDir",
  "clipDurationMs",
  "createClip",
  "createLibrary",
  "createRandom",
  "decodeWav",
  "decodeWireAudio",
  "defineScenario",
  "detectSpeech",
  "encodeForWire",
  "encodeWavMuLaw",
  "encodeWavPcm16",
  "executeRun",
  "falseAlarm",
  "formatConsoleReport",
  "frameAudio",
  "fromBase64",
  "inspectAudioFile",
  "interruption",
  "isFailure",
  "keepYoungGenerationSmall",
  "loadAudioLibrary",
  "loadWavFile",
  "monotonicNowMs",
  "openaiRealtime",
  "pcm",
  "percentile",
  "prepareRun",
  "protocolByName",
  "resample",
  "resolveProtocol",
  "rmsDbfs",
  "roundMs",
  "run",
  "runStep",
  "scenarioMix",
  "searchCapacity",
  "serve",
  "silence",
  "silenceLibrary",
  "simpleQuery",
  "speechEvents",
  "summarize",
  "summarizeRun",
  "toBase64",
  "toIsoTime",
  "toolCall",
  "turnsToCsv",
  "twilio",
  "wireFormatProblem",
  "writeExports",
];

test("the library exports exactly the pinned names", () => {
  const exported = Object.keys(voxbench).sort();
  const added = exported.filter((name) => !PUBLIC_VALUES.includes(name));
  const removed = PUBLIC_VALUES.filter((name) => !exported.includes(name));
  assert.deepEqual(
    { added, removed },
    { added: [], removed: [] },
    "the public API changed: update PUBLIC_VALUES and docs/library.md on purpose",
  );
});

test("the built-in protocols and scenarios are reachable by name from the public API", () => {
  assert.deepEqual(Object.keys(voxbench.PROTOCOLS), ["speech-events", "twilio", "pcm", "openai-realtime"]);
  assert.equal(
    voxbench.resolveProtocol("openai-realtime", { realtime: { api: "beta" } }).handshakeHeaders
      ?.["OpenAI-Beta"],
    "realtime=v1",
  );
  assert.deepEqual(voxbench.BUILT_IN_SCENARIOS.map((scenario) => scenario.name), [
    "simple_query",
    "tool_call",
    "interruption",
    "false_alarm",
  ]);
});
