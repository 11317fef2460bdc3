import { randomUUID } from "node:crypto";
import process from "node:process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { bundledFixturesDir, loadAudioLibrary } from "../audio/library.ts";
import { wireFormatProblem } from "../audio/wire-format.ts";
import { monotonicNowMs } from "../common/clock.ts";
import { sharedScheduler } from "../common/deadline-scheduler.ts";
import { UsageError } from "../common/errors.ts";
import { showControlCharacters } from "../common/printable.ts";
import { VERSION } from "../version.ts";
import type { ProtocolAdapter } from "../protocols/adapter.ts";
import { resolveProtocol } from "../protocols/registry.ts";
import { Capacity } from "./capacity.ts";
import { BotConnection, type ConnectionSettings, type ServerContext } from "./connection.ts";
import { handshakeDelayMs } from "./faults.ts";
import { SERVER_DEFAULTS, type ServerOptions } from "./options.ts";
import { prepareReplyClips } from "./reply-voice.ts";
import { TurnLog } from "./turn-log.ts";
import { BotMetrics } from "../live/bot-metrics.ts";
import { type MetricsEndpoint, serveMetrics } from "../live/metrics-server.ts";

/** A running reference server. */
export interface RunningServer {
  /** e.g. ws://127.0.0.1:8000/ws */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** With `metricsPort`: the Prometheus endpoint, e.g. http://127.0.0.1:9464/metrics. */
  readonly metricsUrl?: string;
  /** Closes every connection (1001), stops listening and flushes the turn log. */
  close(): Promise<void>;
}

/** The WebSocket path, as the seed server used it. */
export const WS_PATH = "/ws";

/** The Realtime API's own path, which its clients build from a base URL (`<base>/realtime?model=...`): also served on that protocol. */
export const REALTIME_PATH = "/v1/realtime";

/**
 * Starts the reference voice bot: its protocol (speech-events by default, or twilio) over
 * `ws://HOST:PORT/ws`, a simulated
 * STT -> LLM -> TTS pipeline with configurable latency, real speech replies, barge-in and resume,
 * optional fault injection, and a turn log with the server's own timestamps. `GET /health`
 * answers JSON.
 *
 * @example
 * ```ts
 * import { serve } from "./server.ts";
 * const server = await serve({ port: 0, replyDelayMs: 300 });
 * console.log(server.url); // ws://127.0.0.1:<port>/ws
 * await server.close();
 * ```
 */
export async function serve(options: ServerOptions = {}): Promise<RunningServer> {
  const protocol = resolveProtocol(options.protocol);
  const settings = resolveSettings(options, protocol);
  const host = options.host ?? SERVER_DEFAULTS.host;
  const replyFormat = protocol.replyFormat(options.replyFormat ?? SERVER_DEFAULTS.replyFormat);
  const formatProblem = wireFormatProblem(replyFormat);
  if (formatProblem) throw new UsageError(`reply format: ${formatProblem}`);
  const library = options.replyAudio ?? (await loadAudioLibrary(bundledFixturesDir()));
  const botAssets = library.byRole("bot");
  if (botAssets.length === 0) {
    throw new UsageError(`reply audio ${showControlCharacters(library.source)} has no "bot" clips`);
  }
  const replies = prepareReplyClips(
    botAssets,
    replyFormat,
    settings.chunkMs,
    options.leadingSilenceMs ?? SERVER_DEFAULTS.leadingSilenceMs,
  );
  const turnLog = options.logTurnsPath ? new TurnLog(options.logTurnsPath) : undefined;
  const connections = new Set<BotConnection>();
  const capacity = new Capacity(options.maxConcurrentReplies ?? SERVER_DEFAULTS.maxConcurrentReplies);
  const metrics = options.metricsPort === undefined ? undefined : new BotMetrics({
    connections: () => connections.size,
    llmSlotsInUse: () => capacity.active,
    llmQueue: () => capacity.waiting,
  });
  const context: ServerContext = {
    settings,
    capacity,
    replies,
    scheduler: sharedScheduler,
    turnFinished: turnLog || metrics
      ? (record) => {
        turnLog?.write(record);
        metrics?.turn(record);
      }
      : undefined,
    counters: { turnsStarted: 0, turnsFinished: 0, activeReplies: 0 },
  };
  /** Handshakes held back by the slow-handshake fault, and their sockets. */
  const pendingUpgrades = new Map<ReturnType<typeof setTimeout>, Duplex>();
  let connectionCount = 0;
  const startedAtMs = monotonicNowMs();

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? SERVER_DEFAULTS.maxMessageBytes,
    perMessageDeflate: false,
    // The JSON parser rejects what matters; validating 85 KB of UTF-8 first only delays the stamp.
    skipUTF8Validation: true,
  });

  const onConnection = (ws: WebSocket, request: IncomingMessage, connectionIndex: number): void => {
    const bot = protocol.bot({
      inputSampleRateHz: options.inputSampleRateHz ?? SERVER_DEFAULTS.inputSampleRateHz,
      replyFormat,
      requestHeaders: request.headers,
    });
    const connection = new BotConnection(ws, context, connectionIndex, randomUUID(), bot);
    connections.add(connection);
    ws.on("message", (data, isBinary) => connection.handleMessage(data, isBinary, monotonicNowMs()));
    ws.on("close", () => {
      connections.delete(connection);
      connection.handleClose();
    });
    ws.on("error", () => {
      // A client vanishing mid-write, or an oversized frame (ws closes with 1009): the close event follows.
    });
    connection.start();
  };

  const httpServer = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.method === "GET" && request.url?.split("?")[0] === "/health") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          status: "ok",
          version: VERSION,
          connections: connections.size,
          active_replies: context.counters.activeReplies,
          turns_started: context.counters.turnsStarted,
          turns_finished: context.counters.turnsFinished,
          llm_slots_in_use: context.capacity.active,
          llm_queue: context.capacity.waiting,
          uptime_ms: Math.round(monotonicNowMs() - startedAtMs),
          memory_rss_bytes: process.memoryUsage().rss,
          heap_used_bytes: process.memoryUsage().heapUsed,
          cpu_seconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
        }),
      );
      return;
    }
    response.writeHead(404, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: "not found: the WebSocket endpoint is /ws, health is /health" }));
  });

  httpServer.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = request.url?.split("?")[0];
    if (path !== WS_PATH && !(path === REALTIME_PATH && protocol.name === "openai-realtime")) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const connectionIndex = connectionCount++;
    const upgrade = (): void =>
      wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request, connectionIndex));
    const delayMs = handshakeDelayMs(settings.faults, settings.seed, connectionIndex);
    if (delayMs <= 0) return upgrade();
    const timer = setTimeout(() => {
      pendingUpgrades.delete(timer);
      if (!socket.destroyed) upgrade();
    }, delayMs);
    pendingUpgrades.set(timer, socket);
    socket.once("close", () => {
      clearTimeout(timer);
      pendingUpgrades.delete(timer);
    });
  });
  httpServer.on("clientError", (_error, socket) => socket.destroy());

  const port = options.port ?? SERVER_DEFAULTS.port;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === "EADDRINUSE"
          ? new UsageError(`port ${port} on ${host} is already in use (use --port 0 for a free one)`)
          : error.code === "EACCES"
          ? new UsageError(`not allowed to listen on port ${port} on ${host}`)
          : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND"
          ? new UsageError(`cannot listen on ${host}: no such local address`)
          : error,
      );
    };
    httpServer.once("error", onError);
    httpServer.listen(port, host, () => {
      httpServer.off("error", onError);
      resolve();
    });
  });
  const address = httpServer.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  let endpoint: MetricsEndpoint | undefined;
  try {
    endpoint = metrics ? await serveMetrics(metrics.registry, options.metricsPort!, host) : undefined;
  } catch (error) {
    httpServer.close();
    throw error;
  }
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `ws://${urlHost}:${boundPort}${WS_PATH}`,
    port: boundPort,
    host,
    ...(endpoint ? { metricsUrl: endpoint.url } : {}),
    close: () => {
      closing ??= (async () => {
        for (const [timer, socket] of pendingUpgrades) {
          clearTimeout(timer);
          socket.destroy();
        }
        for (const connection of connections) connection.shutdown();
        const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        // Give clients a moment to answer the close handshake, then drop whoever has not.
        const grace = setTimeout(() => {
          for (const client of wss.clients) client.terminate();
          httpServer.closeAllConnections?.();
        }, 1000);
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await waitForClients(wss);
        httpServer.closeAllConnections?.();
        await httpClosed;
        clearTimeout(grace);
        await turnLog?.close();
        await endpoint?.close();
      })();
      return closing;
    },
  };
}

async function waitForClients(wss: WebSocketServer): Promise<void> {
  while (wss.clients.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
}

function resolveSettings(options: ServerOptions, protocol: ProtocolAdapter): ConnectionSettings {
  const chunkMs = options.chunkMs ?? SERVER_DEFAULTS.chunkMs;
  const pace = options.pace ?? SERVER_DEFAULTS.pace;
  if (!(chunkMs > 0)) throw new UsageError(`chunk length must be above 0 ms (got ${chunkMs})`);
  if (!(pace > 0)) throw new UsageError(`pace must be above 0 (got ${pace})`);
  const endpointing = protocol.transport === "stream"
    ? {
      endpointingMs: options.endpointingMs ?? SERVER_DEFAULTS.endpointingMs,
      minSpeechMs: options.minSpeechMs ?? SERVER_DEFAULTS.minSpeechMs,
    }
    : undefined;
  if (endpointing && !(endpointing.endpointingMs > 0)) {
    throw new UsageError(`--endpointing-ms must be above 0 (got ${endpointing.endpointingMs})`);
  }
  if (endpointing && !(endpointing.minSpeechMs > 0)) {
    throw new UsageError(`--min-speech-ms must be above 0 (got ${endpointing.minSpeechMs})`);
  }
  return {
    seed: options.seed ?? SERVER_DEFAULTS.seed,
    replyDelayMs: options.replyDelayMs,
    sttMs: options.sttMs ?? SERVER_DEFAULTS.sttMs,
    llmTtftMs: options.llmTtftMs ?? SERVER_DEFAULTS.llmTtftMs,
    ttsTtfbMs: options.ttsTtfbMs ?? SERVER_DEFAULTS.ttsTtfbMs,
    toolMs: options.toolMs ?? SERVER_DEFAULTS.toolMs,
    chunkMs,
    pace,
    noiseThresholdMs: options.noiseThresholdMs ??
      (endpointing ? endpointing.minSpeechMs : SERVER_DEFAULTS.noiseThresholdMs),
    endpointing,
    toolThresholdMs: options.toolThresholdMs ?? SERVER_DEFAULTS.toolThresholdMs,
    doneEvent: options.doneEvent ?? false,
    metricsEvents: options.metricsEvents ?? false,
    toolEvents: options.toolEvents ?? false,
    faults: options.faults ?? SERVER_DEFAULTS.faults,
  };
}
