import type { WireEncoding } from "../audio/wire-format.ts";
import { UsageError } from "../common/errors.ts";
import { describeHeaderForError } from "../common/redact.ts";
import { protocolByName } from "../protocols/registry.ts";
import {
  parseBoolean,
  parseChoice,
  parseDurationOrZeroS,
  parseDurationS,
  parseNonNegativeInteger,
  parseNonNegativeNumber,
  parsePositiveInteger,
  parsePositiveNumber,
  parseRange,
  parseString,
  type RawValue,
} from "../config/parse-values.ts";
import type { RunOptions } from "../load/options.ts";
import { DEFAULT_EXPORT_DIR } from "../report/exports.ts";
import type { FlagSpec } from "./flag-spec.ts";

/** Every flag of `voxbench run` (and `demo`, but --server), with its help text. */
export const RUN_FLAGS: readonly FlagSpec[] = [
  { name: "--server <url>", description: "WebSocket URL of the bot (default ws://localhost:8000/ws)" },
  {
    name: "--protocol <name>",
    description:
      "Wire protocol the bot speaks: speech-events, twilio, pcm or openai-realtime (default speech-events)",
  },
  {
    name: "--realtime-session <file>",
    description:
      "OpenAI Realtime: JSON file with the session sent in session.update on open (default: PCM16 24 kHz in and out, server VAD, one tool)",
  },
  {
    name: "--realtime-api <ga|beta>",
    description:
      "OpenAI Realtime: the API's event names, GA or beta (beta also sends OpenAI-Beta: realtime=v1) (default ga)",
  },
  {
    name: "--tool-result-ms <ms>",
    description:
      "Where the caller runs the bot's tools (OpenAI Realtime function calls): how long each takes before its output is sent (default 0)",
  },
  {
    name: "--param <name=value>",
    description:
      "A parameter the protocol passes to the bot at the start of each call (Twilio's customParameters); repeatable",
  },
  {
    name: "--arrival-rate <calls/s>",
    description:
      "Open model: start calls at this rate for --duration, however the bot copes (instead of --concurrency)",
  },
  {
    name: "--stages <stages>",
    description:
      "Ramp linearly through DURATION:TARGET stages, e.g. 30s:10,2m:10,30s:0 (instead of --duration): callers in progress from --concurrency (default 0), or with --arrival-rate, calls/s from it",
  },
  {
    name: "--duration <time>",
    description:
      "How long calls keep arriving (open model), or callers keep taking turns (closed: none begins after it; --requests then optional), e.g. 90s, 5m, 1h",
  },
  {
    name: "--arrivals <poisson|uniform>",
    description: "Open model: Poisson arrivals or evenly spaced ones (default poisson)",
  },
  {
    name: "--max-calls <n>",
    description:
      "Open model: at most this many calls at once; arrivals beyond it are dropped and counted (dropped_calls), never delayed (default 10000)",
  },
  {
    name: "--turns-per-call <n|min-max>",
    description: "Open model: turns in each call, e.g. 4-8 (default --requests)",
  },
  {
    name: "--window <time>",
    description: "The timeline's window: figures per window in summary.json and timeline.csv (default 5s)",
  },
  { name: "--concurrency <n>", description: "Simultaneous callers, one connection each (default 10)" },
  { name: "--requests <n>", description: "Turns per caller (default 5)" },
  {
    name: "--ramp-up <s>",
    description: "Start the callers spread evenly over this many seconds (default 0: all at once)",
  },
  { name: "--simple <weight>", description: "Weight of simple queries (default 0.6)" },
  { name: "--tools <weight>", description: "Weight of tool calls (default 0.2)" },
  { name: "--interruptions <weight>", description: "Weight of real interruptions (default 0.1)" },
  { name: "--false-alarms <weight>", description: "Weight of false alarms (default 0.1)" },
  {
    name: "--think-time <min-max>",
    description: "Seconds between a caller's turns, e.g. 0.5-2 (default 0.5-2)",
  },
  {
    name: "--seed <n>",
    description: "Makes the mix, file choice and timings reproducible (default: random, recorded)",
  },
  {
    name: "--audio-dir <dir>",
    description:
      "WAV clips by role: manifest.json or names query_*, tool_*, interrupt_*, noise_*, query_2s_* (default: bundled fixtures)",
  },
  { name: "--silence", description: "Speak digital silence, as the old script did (real bots hear nothing)" },
  {
    name: "--sample-rate <hz>",
    description:
      "Sample rate of the audio sent: 8000, 16000, 24000, 48000 (default 16000; 8000 for mu-law and A-law)",
  },
  { name: "--encoding <pcm16|mulaw|alaw>", description: "Encoding of the audio sent (default pcm16)" },
  {
    name: "--frame-ms <ms>",
    description:
      "Microphone frame length: each utterance is whole frames, padded with silence, and speech_end leaves when the last frame is captured (default 20)",
  },
  {
    name: "--reply-sample-rate <hz>",
    description: "Rate of headerless reply audio (default: --sample-rate)",
  },
  {
    name: "--reply-encoding <pcm16|mulaw|alaw>",
    description: "Encoding of headerless reply audio (default: --encoding)",
  },
  { name: "--timeout-simple <s>", description: "Simple query timeout, seconds (default 30)" },
  { name: "--timeout-tool <s>", description: "Tool call timeout, seconds (default 45)" },
  { name: "--timeout-interruption <s>", description: "Interruption timeout, seconds (default 15)" },
  { name: "--timeout-false-alarm <s>", description: "False alarm timeout, seconds (default 15)" },
  { name: "--connect-timeout <s>", description: "WebSocket connect timeout, seconds (default 10)" },
  {
    name: "--idle-ms <ms>",
    description:
      "Without an end event, a reply ends after this much silence; never counted in a measurement (default 1000)",
  },
  {
    name: "--reply-end <auto|done|idle>",
    description:
      "How a reply's end is found (default auto: the end event once the server sent one, else the idle gap)",
  },
  {
    name: "--max-gap-ms <ms>",
    description: "A mid-reply audio gap this long fails the turn as audio_gap; 0 disables (default 80)",
  },
  {
    name: "--header <header>",
    description: 'Handshake header "Name: value" (repeatable; values are redacted in all output)',
  },
  { name: "--insecure", description: "Accept self-signed TLS certificates (wss://)" },
  {
    name: "--reconnect",
    description:
      "Retry a failed connect with backoff (100 ms doubling to 2 s) within the turn's timeout; a caller whose connect failed tries again on its next turn (default off: it loses its remaining turns)",
  },
  { name: "--max-message-bytes <n>", description: "Largest server message accepted (default 67108864)" },
  {
    name: "--targets <set>",
    description: "Apply the old guide's targets: low-load or under-load (its alarms are always checked)",
  },
  {
    name: "--threshold <expr>",
    description: "Pass/fail rule, repeatable: ttft.p95<2500, success_rate>0.99, interruption.stop.p95<500",
  },
  {
    name: "--max-lag-ms <ms>",
    description: "The run is invalid (exit 3) if the generator's lag p99 exceeds this (default 25)",
  },
  {
    name: "--shard <index/count>",
    description:
      "Run shard INDEX (from 0) of COUNT of a bigger test: callers k with k mod COUNT = INDEX, same seed; needs --run-id; merge with voxbench merge",
  },
  {
    name: "--workers <n|auto>",
    description:
      "Spread the callers over n worker threads, each with its own event loop (auto: one per core; default 1)",
  },
  { name: "--run-id <id>", description: "Name of the run and its export folder (default: time-based)" },
  { name: "--export-dir <dir>", description: "Where exports/<run-id>/ goes (default exports)" },
  { name: "--no-export", description: "Do not write summary.json, turns.csv and report.html" },
  { name: "--no-html", description: "Do not write report.html (the run's charts, one offline page)" },
  {
    name: "--metrics-port <port>",
    description: "Serve live Prometheus metrics on this port at /metrics while the run lasts (default: off)",
  },
  {
    name: "--metrics-linger <time>",
    description: "Keep /metrics up this long after the run, for a last scrape (default 10s)",
  },
  { name: "--quiet", description: "No progress output" },
];

/** The camelCase keys cac (and a config file) use for the run flags, e.g. "falseAlarms". */
export const RUN_FLAG_KEYS: readonly string[] = RUN_FLAGS.map((flag) =>
  flag.name
    .split(" ")[0]!
    .replace(/^--(no-)?/, "")
    .replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())
);

/** What the run flags turn into: run options plus what the CLI does with the results. */
export interface RunFlags {
  readonly options: RunOptions;
  readonly exportDir: string;
  readonly export: boolean;
  /** Write report.html beside the other exports. */
  readonly html: boolean;
  /** Serve live Prometheus metrics on this port (undefined: off). */
  readonly metricsPort: number | undefined;
  /** How long /metrics stays up after the run, seconds. */
  readonly metricsLingerS: number;
  readonly quiet: boolean;
}

function parsePort(name: string, raw: RawValue): number {
  const port = parseNonNegativeInteger(name, raw);
  if (port > 65535) throw new UsageError(`${name} must be 0-65535 (got ${port})`);
  return port;
}

/** A run id (--run-id): it names a folder, so letters, digits, ".", "_" and "-", not starting with ".". */
export function parseRunId(raw: RawValue): string {
  const runId = parseString("--run-id", raw);
  if (!/^[A-Za-z0-9._-]+$/.test(runId) || runId.startsWith(".")) {
    throw new UsageError(`--run-id may use letters, digits, ".", "_" and "-" only (got "${runId}")`);
  }
  return runId;
}

/** Parses one or more "Name: value" headers. */
export function parseHeaders(raw: RawValue): Record<string, string> {
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const headers: Record<string, string> = {};
  for (const value of values) {
    const text = String(value);
    const colon = text.indexOf(":");
    const name = colon > 0 ? text.slice(0, colon).trim() : "";
    // Never echo the value: without a colon, the whole text may be the secret itself.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError(`--header must look like "Name: value" (got ${describeHeaderForError(text)})`);
    }
    headers[name] = text.slice(colon + 1).trim();
  }
  return headers;
}

/** Parses one or more "name=value" parameters (--param). */
export function parseParameters(raw: RawValue): Record<string, string> {
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const parameters: Record<string, string> = {};
  for (const value of values) {
    const text = String(value);
    const equals = text.indexOf("=");
    if (equals <= 0) throw new UsageError(`--param must look like name=value (got "${text.slice(0, 40)}")`);
    parameters[text.slice(0, equals).trim()] = text.slice(equals + 1);
  }
  return parameters;
}

/**
 * Turns `voxbench run` flags (as cac hands them over, camel-cased) into run options. Only flags
 * that were given are set, so library defaults apply to the rest.
 */
export function parseRunFlags(raw: Record<string, RawValue>): RunFlags {
  const has = (key: string): boolean => raw[key] !== undefined;
  const options: RunOptions = {};
  if (has("server")) options.server = parseString("--server", raw.server);
  if (has("protocol")) options.protocol = protocolByName(parseString("--protocol", raw.protocol)).name;
  if (has("param")) options.parameters = parseParameters(raw.param);
  if (has("realtimeSession") || has("realtimeApi")) {
    options.realtime = {
      ...(has("realtimeApi")
        ? { api: parseChoice("--realtime-api", raw.realtimeApi, ["ga", "beta"] as const) }
        : {}),
      ...(has("realtimeSession")
        ? { sessionFile: parseString("--realtime-session", raw.realtimeSession) }
        : {}),
    };
    if (options.protocol !== "openai-realtime") {
      throw new UsageError("--realtime-session and --realtime-api need --protocol openai-realtime");
    }
  }
  if (has("toolResultMs")) {
    options.toolResultMs = parseNonNegativeNumber("--tool-result-ms", raw.toolResultMs);
  }
  if (has("arrivalRate")) options.arrivalRate = parseNonNegativeNumber("--arrival-rate", raw.arrivalRate);
  if (has("stages")) {
    options.stages = Array.isArray(raw.stages)
      ? raw.stages.map(String).join(",")
      : parseString("--stages", raw.stages);
  }
  if (has("duration")) options.durationS = parseDurationS("--duration", raw.duration);
  if (has("arrivals")) {
    options.arrivals = parseChoice("--arrivals", raw.arrivals, ["poisson", "uniform"] as const);
  }
  if (has("maxCalls")) options.maxCalls = parsePositiveInteger("--max-calls", raw.maxCalls);
  if (has("turnsPerCall")) {
    const turns = parseRange("--turns-per-call", raw.turnsPerCall);
    if (!Number.isInteger(turns.min) || !Number.isInteger(turns.max) || turns.min < 1) {
      throw new UsageError(`--turns-per-call must be a whole number of at least 1 or a range like 4-8`);
    }
    options.turnsPerCall = turns;
  }
  if (has("window")) options.windowS = parseDurationS("--window", raw.window);
  if (has("concurrency")) options.concurrency = parseNonNegativeInteger("--concurrency", raw.concurrency);
  if (has("requests")) options.requests = parsePositiveInteger("--requests", raw.requests);
  if (has("rampUp")) options.rampUpS = parseNonNegativeNumber("--ramp-up", raw.rampUp);
  const weights: { -readonly [K in keyof NonNullable<RunOptions["weights"]>]: number } = {};
  if (has("simple")) weights.simple = parseNonNegativeNumber("--simple", raw.simple);
  if (has("tools")) weights.tools = parseNonNegativeNumber("--tools", raw.tools);
  if (has("interruptions")) {
    weights.interruptions = parseNonNegativeNumber("--interruptions", raw.interruptions);
  }
  if (has("falseAlarms")) weights.falseAlarms = parseNonNegativeNumber("--false-alarms", raw.falseAlarms);
  options.weights = weights;
  if (has("thinkTime")) options.thinkTimeS = parseRange("--think-time", raw.thinkTime);
  if (has("seed")) options.seed = parseNonNegativeInteger("--seed", raw.seed);
  if (has("audioDir")) options.audioDir = parseString("--audio-dir", raw.audioDir);
  if (parseBoolean("--silence", raw.silence)) {
    if (has("audioDir")) throw new UsageError("--silence and --audio-dir cannot be used together");
    options.silence = true;
  }
  const encoding = has("encoding")
    ? parseChoice<WireEncoding>("--encoding", raw.encoding, ["pcm16", "mulaw", "alaw"])
    : "pcm16";
  const sampleRateHz = has("sampleRate")
    ? parsePositiveInteger("--sample-rate", raw.sampleRate)
    : encoding === "pcm16"
    ? 16000
    : 8000;
  options.wireFormat = {
    encoding,
    sampleRateHz,
    ...(has("frameMs") ? { frameMs: parsePositiveNumber("--frame-ms", raw.frameMs) } : {}),
  };
  if (has("replySampleRate") || has("replyEncoding")) {
    const replyEncoding = has("replyEncoding")
      ? parseChoice<WireEncoding>("--reply-encoding", raw.replyEncoding, ["pcm16", "mulaw", "alaw"])
      : encoding;
    const replyRate = has("replySampleRate")
      ? parsePositiveInteger("--reply-sample-rate", raw.replySampleRate)
      : replyEncoding === "pcm16"
      ? sampleRateHz
      : 8000;
    options.replyFormat = { encoding: replyEncoding, sampleRateHz: replyRate };
  }
  const timeouts: Record<string, number> = {};
  if (has("timeoutSimple")) timeouts.simple = parsePositiveNumber("--timeout-simple", raw.timeoutSimple);
  if (has("timeoutTool")) timeouts.tool = parsePositiveNumber("--timeout-tool", raw.timeoutTool);
  if (has("timeoutInterruption")) {
    timeouts.interruption = parsePositiveNumber("--timeout-interruption", raw.timeoutInterruption);
  }
  if (has("timeoutFalseAlarm")) {
    timeouts.falseAlarm = parsePositiveNumber("--timeout-false-alarm", raw.timeoutFalseAlarm);
  }
  if (has("connectTimeout")) timeouts.connect = parsePositiveNumber("--connect-timeout", raw.connectTimeout);
  options.timeoutsS = timeouts;
  if (has("idleMs")) options.idleMs = parsePositiveNumber("--idle-ms", raw.idleMs);
  if (has("maxGapMs")) options.maxGapMs = parseNonNegativeNumber("--max-gap-ms", raw.maxGapMs);
  if (has("replyEnd")) {
    options.replyEnd = parseChoice("--reply-end", raw.replyEnd, ["auto", "done", "idle"] as const);
  }
  if (has("header")) options.headers = parseHeaders(raw.header);
  if (parseBoolean("--insecure", raw.insecure)) options.insecure = true;
  if (parseBoolean("--reconnect", raw.reconnect)) options.reconnect = true;
  if (has("maxMessageBytes")) {
    options.maxMessageBytes = parsePositiveInteger("--max-message-bytes", raw.maxMessageBytes);
  }
  if (has("maxLagMs")) options.maxLagMs = parsePositiveNumber("--max-lag-ms", raw.maxLagMs);
  if (has("shard")) {
    const value = parseString("--shard", raw.shard).trim();
    const match = /^(\d+)\/(\d+)$/.exec(value);
    if (!match) {
      throw new UsageError(`--shard must look like INDEX/COUNT, e.g. 0/3 (got "${value.slice(0, 40)}")`);
    }
    options.shard = { index: Number(match[1]), count: Number(match[2]) };
  }
  if (has("workers")) {
    const value = String(raw.workers).trim();
    if (value !== "auto" && !/^\d+$/.test(value)) {
      throw new UsageError(`--workers must be a whole number of at least 1, or auto (got "${value}")`);
    }
    options.workers = value === "auto" ? "auto" : Number(value);
  }
  if (has("runId")) options.runId = parseRunId(raw.runId);
  if (has("targets")) {
    options.targets = parseChoice("--targets", raw.targets, ["low-load", "under-load"] as const);
  }
  if (has("threshold")) {
    const values = Array.isArray(raw.threshold) ? raw.threshold : [raw.threshold];
    options.thresholds = values.map((value) => parseString("--threshold", value as RawValue));
  }
  return {
    options,
    exportDir: has("exportDir") ? parseString("--export-dir", raw.exportDir) : DEFAULT_EXPORT_DIR,
    export: raw.export === undefined ? true : parseBoolean("--export", raw.export),
    html: raw.html === undefined ? true : parseBoolean("--html", raw.html),
    metricsPort: has("metricsPort") ? parsePort("--metrics-port", raw.metricsPort) : undefined,
    metricsLingerS: has("metricsLinger") ? parseDurationOrZeroS("--metrics-linger", raw.metricsLinger) : 10,
    quiet: parseBoolean("--quiet", raw.quiet),
  };
}
