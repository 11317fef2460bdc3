import type { WireEncoding } from "../audio/wire-format.ts";
import { UsageError } from "../common/errors.ts";
import {
  parseChoice,
  parseNonNegativeInteger,
  parseNonNegativeNumber,
  parsePositiveInteger,
  parsePositiveNumber,
  parseRange,
  parseString,
  type RawValue,
} from "../config/parse-values.ts";
import type { RunOptions } from "../load/options.ts";

/** What the run flags turn into: run options plus what the CLI does with the results. */
export interface RunFlags {
  readonly options: RunOptions;
  readonly exportDir: string;
  readonly export: boolean;
  readonly quiet: boolean;
}

/** Parses one or more "Name: value" headers. */
export function parseHeaders(raw: RawValue): Record<string, string> {
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const headers: Record<string, string> = {};
  for (const value of values) {
    const text = String(value);
    const colon = text.indexOf(":");
    const name = colon > 0 ? text.slice(0, colon).trim() : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError(`--header must look like "Name: value" (got "${text.split(":")[0]}...")`);
    }
    headers[name] = text.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Turns `voxbench run` flags (as cac hands them over, camel-cased) into run options. Only flags
 * that were given are set, so library defaults apply to the rest.
 */
export function parseRunFlags(raw: Record<string, RawValue>): RunFlags {
  const has = (key: string): boolean => raw[key] !== undefined;
  const options: RunOptions = {};
  if (has("server")) options.server = parseString("--server", raw.server);
  if (has("concurrency")) options.concurrency = parsePositiveInteger("--concurrency", raw.concurrency);
  if (has("requests")) options.requests = parsePositiveInteger("--requests", raw.requests);
  if (has("rampUp")) options.rampUpS = parseNonNegativeNumber("--ramp-up", raw.rampUp);
  const weights: { -readonly [K in keyof NonNullable<RunOptions["weights"]>]: number } = {};
  if (has("simple")) weights.simple = parseNonNegativeNumber("--simple", raw.simple);
  if (has("tools")) weights.tools = parseNonNegativeNumber("--tools", raw.tools);
  if (has("interruptions")) weights.interruptions = parseNonNegativeNumber("--interruptions", raw.interruptions);
  if (has("falseAlarms")) weights.falseAlarms = parseNonNegativeNumber("--false-alarms", raw.falseAlarms);
  options.weights = weights;
  if (has("thinkTime")) options.thinkTimeS = parseRange("--think-time", raw.thinkTime);
  if (has("seed")) options.seed = parseNonNegativeInteger("--seed", raw.seed);
  if (has("audioDir")) options.audioDir = parseString("--audio-dir", raw.audioDir);
  if (raw.silence === true) {
    if (has("audioDir")) throw new UsageError("--silence and --audio-dir cannot be used together");
    options.silence = true;
  }
  const encoding = has("encoding") ? parseChoice<WireEncoding>("--encoding", raw.encoding, ["pcm16", "mulaw"]) : "pcm16";
  const sampleRateHz = has("sampleRate") ? parsePositiveInteger("--sample-rate", raw.sampleRate) : encoding === "mulaw" ? 8000 : 16000;
  options.wireFormat = { encoding, sampleRateHz };
  if (has("replySampleRate") || has("replyEncoding")) {
    const replyEncoding = has("replyEncoding") ? parseChoice<WireEncoding>("--reply-encoding", raw.replyEncoding, ["pcm16", "mulaw"]) : encoding;
    const replyRate = has("replySampleRate") ? parsePositiveInteger("--reply-sample-rate", raw.replySampleRate) : replyEncoding === "mulaw" ? 8000 : sampleRateHz;
    options.replyFormat = { encoding: replyEncoding, sampleRateHz: replyRate };
  }
  const timeouts: NonNullable<RunOptions["timeoutsS"]> = {};
  if (has("timeoutSimple")) timeouts.simple = parsePositiveNumber("--timeout-simple", raw.timeoutSimple);
  if (has("timeoutTool")) timeouts.tool = parsePositiveNumber("--timeout-tool", raw.timeoutTool);
  if (has("timeoutInterruption")) timeouts.interruption = parsePositiveNumber("--timeout-interruption", raw.timeoutInterruption);
  if (has("timeoutFalseAlarm")) timeouts.falseAlarm = parsePositiveNumber("--timeout-false-alarm", raw.timeoutFalseAlarm);
  if (has("connectTimeout")) timeouts.connect = parsePositiveNumber("--connect-timeout", raw.connectTimeout);
  options.timeoutsS = timeouts;
  if (has("idleMs")) options.idleMs = parsePositiveNumber("--idle-ms", raw.idleMs);
  if (has("maxGapMs")) options.maxGapMs = parseNonNegativeNumber("--max-gap-ms", raw.maxGapMs);
  if (has("replyEnd")) options.replyEnd = parseChoice("--reply-end", raw.replyEnd, ["auto", "done", "idle"] as const);
  if (has("header")) options.headers = parseHeaders(raw.header);
  if (raw.insecure === true) options.insecure = true;
  if (has("maxMessageBytes")) options.maxMessageBytes = parsePositiveInteger("--max-message-bytes", raw.maxMessageBytes);
  if (has("maxLagMs")) options.maxLagMs = parsePositiveNumber("--max-lag-ms", raw.maxLagMs);
  if (has("runId")) {
    const runId = parseString("--run-id", raw.runId);
    if (!/^[A-Za-z0-9._-]+$/.test(runId) || runId.startsWith(".")) {
      throw new UsageError(`--run-id may use letters, digits, ".", "_" and "-" only (got "${runId}")`);
    }
    options.runId = runId;
  }
  return {
    options,
    exportDir: has("exportDir") ? parseString("--export-dir", raw.exportDir) : "exports",
    export: raw.export !== false,
    quiet: raw.quiet === true,
  };
}
