import process from "node:process";
import { loadAudioLibrary } from "../audio/library.ts";
import type { WireEncoding } from "../audio/wire-format.ts";
import { UsageError } from "../common/errors.ts";
import { ExitCode } from "../common/exit-codes.ts";
import {
  parseChoice,
  parseNonNegativeInteger,
  parseNonNegativeNumber,
  parseNumber,
  parsePositiveInteger,
  parsePositiveNumber,
  parseString,
  type RawValue,
} from "../config/parse-values.ts";
import { FAULT_KINDS, type FaultKind } from "../server/faults.ts";
import { parseDistribution } from "../server/latency-model.ts";
import { SERVER_DEFAULTS, type ServerOptions } from "../server/options.ts";
import { serve } from "../server/server.ts";
import { protocolByName } from "../protocols/registry.ts";
import { relaunchWithSingleThreadedGc } from "../process/relaunch.ts";
import { onStopRequest } from "../process/stop-requests.ts";

/** `voxbench serve` flags as cac hands them over (camel-cased). */
export type ServeCommandOptions = Record<string, RawValue>;

/** Turns `voxbench serve` flags into {@link ServerOptions}, rejecting anything malformed. */
export async function parseServeOptions(raw: ServeCommandOptions): Promise<ServerOptions> {
  const options: ServerOptions = {};
  const has = (key: string): boolean => raw[key] !== undefined;
  if (has("host")) options.host = parseString("--host", raw.host);
  if (has("protocol")) options.protocol = protocolByName(parseString("--protocol", raw.protocol)).name;
  if (has("endpointingMs")) {
    options.endpointingMs = parsePositiveNumber("--endpointing-ms", raw.endpointingMs);
  }
  if (has("minSpeechMs")) options.minSpeechMs = parsePositiveNumber("--min-speech-ms", raw.minSpeechMs);
  if (has("port")) {
    options.port = parseNonNegativeInteger("--port", raw.port);
    if (options.port > 65535) throw new UsageError(`--port must be 0-65535 (got ${options.port})`);
  }
  if (has("metricsPort")) {
    options.metricsPort = parseNonNegativeInteger("--metrics-port", raw.metricsPort);
    if (options.metricsPort > 65535) {
      throw new UsageError(`--metrics-port must be 0-65535 (got ${options.metricsPort})`);
    }
  }
  if (has("seed")) options.seed = parseNonNegativeInteger("--seed", raw.seed);
  if (has("replyDelayMs")) {
    options.replyDelayMs = parseNonNegativeNumber("--reply-delay-ms", raw.replyDelayMs);
  }
  if (has("sttMs")) options.sttMs = parseDistribution("--stt-ms", parseString("--stt-ms", raw.sttMs));
  if (has("llmTtftMs")) {
    options.llmTtftMs = parseDistribution("--llm-ttft-ms", parseString("--llm-ttft-ms", raw.llmTtftMs));
  }
  if (has("ttsTtfbMs")) {
    options.ttsTtfbMs = parseDistribution("--tts-ttfb-ms", parseString("--tts-ttfb-ms", raw.ttsTtfbMs));
  }
  if (has("toolMs")) options.toolMs = parseDistribution("--tool-ms", parseString("--tool-ms", raw.toolMs));
  if (has("maxConcurrentReplies")) {
    options.maxConcurrentReplies = parsePositiveInteger("--max-concurrent-replies", raw.maxConcurrentReplies);
  }
  if (has("chunkMs")) options.chunkMs = parsePositiveInteger("--chunk-ms", raw.chunkMs);
  if (has("pace")) options.pace = parsePositiveNumber("--pace", raw.pace);
  if (has("leadingSilenceMs")) {
    options.leadingSilenceMs = parseNonNegativeNumber("--leading-silence-ms", raw.leadingSilenceMs);
  }
  const replyEncoding = has("replyEncoding")
    ? parseChoice<WireEncoding>("--reply-encoding", raw.replyEncoding, ["pcm16", "mulaw"])
    : SERVER_DEFAULTS.replyFormat.encoding;
  const replyRate = has("replySampleRate")
    ? parsePositiveInteger("--reply-sample-rate", raw.replySampleRate)
    : replyEncoding === "mulaw"
    ? 8000
    : SERVER_DEFAULTS.replyFormat.sampleRateHz;
  options.replyFormat = { encoding: replyEncoding, sampleRateHz: replyRate };
  if (has("inputSampleRate")) {
    options.inputSampleRateHz = parsePositiveInteger("--input-sample-rate", raw.inputSampleRate);
  }
  if (has("noiseThresholdMs")) {
    options.noiseThresholdMs = parseNonNegativeNumber("--noise-threshold-ms", raw.noiseThresholdMs);
  }
  if (has("toolThresholdMs")) {
    options.toolThresholdMs = parseNonNegativeNumber("--tool-threshold-ms", raw.toolThresholdMs);
  }
  options.doneEvent = raw.doneEvent === true;
  options.metricsEvents = raw.metricsEvents === true;
  options.toolEvents = raw.toolEvents === true;
  if (has("logTurns")) options.logTurnsPath = parseString("--log-turns", raw.logTurns);
  const faultRate = has("faultRate") ? parseNumber("--fault-rate", raw.faultRate) : 0;
  if (faultRate < 0 || faultRate > 1) {
    throw new UsageError(`--fault-rate must be between 0 and 1 (got ${faultRate})`);
  }
  const kinds = has("faults") ? parseFaultKinds(parseString("--faults", raw.faults)) : [...FAULT_KINDS];
  options.faults = {
    rate: faultRate,
    kinds,
    slowHandshakeMs: has("slowHandshakeMs")
      ? parseNonNegativeNumber("--slow-handshake-ms", raw.slowHandshakeMs)
      : 2000,
    dropChunkPercent: has("dropChunkPercent")
      ? parseNonNegativeNumber("--drop-chunk-percent", raw.dropChunkPercent)
      : 30,
  };
  if (options.faults.dropChunkPercent > 100) throw new UsageError("--drop-chunk-percent must be 0-100");
  if (has("audioDir")) {
    const dir = parseString("--audio-dir", raw.audioDir);
    options.replyAudio = await loadAudioLibrary(dir);
  }
  return options;
}

function parseFaultKinds(text: string): FaultKind[] {
  const kinds = text.split(",").map((kind) => kind.trim()).filter((kind) => kind.length > 0);
  for (const kind of kinds) {
    if (!FAULT_KINDS.includes(kind as FaultKind)) {
      throw new UsageError(`--faults: unknown fault "${kind}" (use ${FAULT_KINDS.join(", ")})`);
    }
  }
  if (kinds.length === 0) throw new UsageError(`--faults needs at least one of ${FAULT_KINDS.join(", ")}`);
  return kinds as FaultKind[];
}

/**
 * `voxbench serve`: runs the reference bot until SIGINT or SIGTERM, then closes every connection and
 * flushes the turn log.
 */
export async function serveCommand(raw: ServeCommandOptions): Promise<number> {
  const options = await parseServeOptions(raw);
  const relaunched = await relaunchWithSingleThreadedGc();
  if (relaunched !== undefined) return relaunched;
  const server = await serve(options);
  // Handlers go in before the ready line: a supervisor may signal as soon as it reads it.
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    onStopRequest(() => {
      // A second signal while shutting down means "now".
      if (stopping) process.exit(ExitCode.Interrupted);
      stopping = true;
      resolve();
    });
  });
  const hostForUrl = server.host.includes(":") ? `[${server.host}]` : server.host;
  process.stdout.write(`Server ready on port ${server.port}\n`);
  process.stdout.write(
    `voxbench reference bot listening on ${server.url} (health: http://${hostForUrl}:${server.port}/health)\n`,
  );
  if (server.metricsUrl) process.stdout.write(`Prometheus metrics on ${server.metricsUrl}\n`);
  await stopped;
  process.stderr.write("voxbench: shutting down the reference bot\n");
  await server.close();
  return ExitCode.Ok;
}
