/**
 * The reference bot's openai-realtime protocol, driven by a client nobody here wrote: the official
 * `openai` package's Realtime WebSocket client (`OpenAIRealtimeWS` from "openai/realtime/ws", the GA
 * API, on the `ws` package). Every event the test sends is typed by the SDK's own
 * `RealtimeClientEvent`, and every event the bot sends goes through the SDK's parser and dispatch.
 *
 * The SDK always connects with wss:// (it rewrites the base URL's scheme), so the test puts a small
 * TLS front (test/fixtures/tls, certificate checks on) before the bot's plain ws:// port.
 *
 * Audio: the bundled fixtures as PCM16 LE mono 24 kHz in 20 ms chunks (960 bytes), sent in real
 * time and followed by a second of silence so the bot's VAD ends the utterance.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import net from "node:net";
import tls from "node:tls";
import OpenAI from "openai";
import { OpenAIRealtimeWS } from "openai/realtime/ws";
import type { RealtimeServerEvent } from "openai/resources/realtime/realtime";
import { bundledFixturesDir } from "../../src/audio/library.ts";
import { loadWavFile } from "../../src/audio/load-file.ts";
import { encodeForWire } from "../../src/audio/wire-format.ts";
import { type RunningServer, serve } from "../../src/server/server.ts";

const RATE_HZ = 24000;
const FRAME_MS = 20;
const FRAME_BYTES = (RATE_HZ * 2 * FRAME_MS) / 1000; // 960
const BYTES_PER_MS = (RATE_HZ * 2) / 1000; // 48
const TRAILING_SILENCE_MS = 1000;
const SILENCE_DURATION_MS = 500;
/** Every wait for an event is bounded by this. */
const WAIT_MS = 10_000;
const TEST_OPTIONS = { timeout: 60_000 };

const TLS_DIR = new URL("../fixtures/tls/", import.meta.url);
const TLS_CERT = readFileSync(new URL("cert.pem", TLS_DIR));
const TLS_KEY = readFileSync(new URL("key.pem", TLS_DIR));

type EventType = RealtimeServerEvent["type"];
type EventOf<T extends EventType> = Extract<RealtimeServerEvent, { type: T }>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A fixture clip as PCM16 LE mono 24 kHz, padded to whole 20 ms frames. */
async function clipBytes(file: string): Promise<Uint8Array> {
  const { clip } = await loadWavFile(join(bundledFixturesDir(), file));
  const encoded = encodeForWire(clip, { encoding: "pcm16", sampleRateHz: RATE_HZ, frameMs: FRAME_MS });
  assert.equal(encoded.bytes.length % FRAME_BYTES, 0);
  return encoded.bytes;
}

/** A TLS terminator in front of the bot's plain port: the SDK only speaks wss://. */
async function tlsFront(targetPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: TLS_KEY, cert: TLS_CERT }, (client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Records every server event the SDK dispatches, and awaits them with a deadline. */
class EventLog {
  readonly events: { event: RealtimeServerEvent; atMs: number }[] = [];
  readonly errors: string[] = [];
  closed: string | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(rt: OpenAIRealtimeWS) {
    rt.on("event", (event) => {
      this.events.push({ event, atMs: performance.now() });
      this.notify();
    });
    rt.on("error", (error) => {
      this.errors.push(error.message);
      this.notify();
    });
    rt.socket.on("close", (code, reason) => {
      this.closed = `socket closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ""})`;
      this.notify();
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Event types seen so far, runs of one type collapsed ("response.output_audio.delta x12"). */
  seen(): string {
    const runs: [string, number][] = [];
    for (const { event } of this.events) {
      const last = runs.at(-1);
      if (last && last[0] === event.type) last[1]++;
      else runs.push([event.type, 1]);
    }
    return runs.map(([type, count]) => (count > 1 ? `${type} x${count}` : type)).join(", ") || "(none)";
  }

  /** Index of a recorded event, for ordering checks. */
  indexOf(event: RealtimeServerEvent): number {
    return this.events.findIndex((entry) => entry.event === event);
  }

  atMs(event: RealtimeServerEvent): number {
    const entry = this.events.find((candidate) => candidate.event === event);
    assert.ok(entry, `${event.type} was not recorded`);
    return entry.atMs;
  }

  all<T extends EventType>(type: T, where: (event: EventOf<T>) => boolean = () => true): EventOf<T>[] {
    return this.events.map((entry) => entry.event).filter((event): event is EventOf<T> =>
      event.type === type && where(event as EventOf<T>)
    );
  }

  /**
   * The first event of `type` at index `from` or later that satisfies `where`, waiting at most
   * `timeoutMs`. Fails at once on an SDK error or a closed socket, and on timeout, naming the event
   * waited for and the events seen.
   */
  waitFor<T extends EventType>(
    type: T,
    what = "",
    where: (event: EventOf<T>) => boolean = () => true,
    from = 0,
    timeoutMs = WAIT_MS,
  ): Promise<EventOf<T>> {
    const label = `${type}${what ? ` (${what})` : ""}`;
    return new Promise<EventOf<T>>((resolve, reject) => {
      const check = (): boolean => {
        for (let i = from; i < this.events.length; i++) {
          const event = this.events[i]!.event;
          if (event.type === type && where(event as EventOf<T>)) {
            finish();
            resolve(event as EventOf<T>);
            return true;
          }
        }
        const problem = this.errors.length > 0 ? `the SDK reported: ${this.errors.join("; ")}` : this.closed;
        if (problem) {
          finish();
          reject(new Error(`while waiting for ${label}: ${problem}; events seen: ${this.seen()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${label}; events seen: ${this.seen()}`),
        );
      }, timeoutMs);
      const listener = (): void => void check();
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      if (!check()) this.listeners.add(listener);
    });
  }
}

/** Sends `audio` and then `trailingSilenceMs` of silence as 20 ms appends, in real time. */
async function speak(
  rt: OpenAIRealtimeWS,
  audio: Uint8Array,
  trailingSilenceMs = TRAILING_SILENCE_MS,
): Promise<void> {
  const all = new Uint8Array(audio.length + trailingSilenceMs * BYTES_PER_MS);
  all.set(audio);
  const start = performance.now();
  for (let frame = 0; frame * FRAME_BYTES < all.length; frame++) {
    const waitMs = start + frame * FRAME_MS - performance.now();
    if (waitMs > 0) await sleep(waitMs);
    if (rt.socket.readyState !== rt.socket.OPEN) return; // the test has failed already; its wait says why
    const chunk = all.subarray(frame * FRAME_BYTES, (frame + 1) * FRAME_BYTES);
    rt.send({
      type: "input_audio_buffer.append",
      audio: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("base64"),
    });
  }
}

/** Milliseconds of PCM16 24 kHz audio in a base64 delta. */
function deltaMs(delta: string): number {
  const bytes = Buffer.from(delta, "base64");
  assert.equal(bytes.length % 2, 0, "PCM16 deltas hold whole samples");
  return bytes.length / BYTES_PER_MS;
}

/** Starts the bot, connects the SDK client through the TLS front, runs `body`, closes everything. */
async function withBot(body: (rt: OpenAIRealtimeWS, log: EventLog) => Promise<void>): Promise<void> {
  let server: RunningServer | undefined;
  let front: Awaited<ReturnType<typeof tlsFront>> | undefined;
  let rt: OpenAIRealtimeWS | undefined;
  try {
    server = await serve({ protocol: "openai-realtime", port: 0, replyDelayMs: 200, seed: 1 });
    front = await tlsFront(server.port);
    const client = new OpenAI({ apiKey: "sk-voxbench-test", baseURL: `https://127.0.0.1:${front.port}/v1` });
    rt = new OpenAIRealtimeWS({ model: "gpt-realtime", options: { ca: TLS_CERT } }, client);
    const log = new EventLog(rt);
    assert.equal(rt.url.href, `wss://127.0.0.1:${front.port}/v1/realtime?model=gpt-realtime`);
    const created = await log.waitFor("session.created");
    // The API sends the session's id; the SDK's GA type (the create request's shape) does not declare it.
    assert.equal(
      typeof (created.session as { id?: unknown }).id,
      "string",
      "session.created names the session",
    );
    await body(rt, log);
    assert.deepEqual(log.errors, [], "no error events");
  } finally {
    if (rt) {
      const socket = rt.socket;
      if (socket.readyState !== socket.CLOSED) {
        const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
        rt.close();
        await Promise.race([closed, sleep(2000)]);
      }
    }
    await front?.close();
    await server?.close();
  }
}

/** session.update in the GA shape: PCM16 24 kHz both ways, server VAD with 500 ms of silence. */
async function configure(rt: OpenAIRealtimeWS, log: EventLog): Promise<void> {
  const from = log.events.length;
  rt.send({
    type: "session.update",
    session: {
      type: "realtime",
      output_modalities: ["audio"],
      instructions: "You are a bank's voice assistant.",
      audio: {
        input: {
          format: { type: "audio/pcm", rate: RATE_HZ },
          turn_detection: {
            type: "server_vad",
            silence_duration_ms: SILENCE_DURATION_MS,
            create_response: true,
            interrupt_response: true,
          },
        },
        output: { format: { type: "audio/pcm", rate: RATE_HZ } },
      },
      tools: [
        {
          type: "function",
          name: "get_balance",
          description: "The balance of one of the caller's accounts.",
          parameters: { type: "object", properties: { account: { type: "string" } }, required: ["account"] },
        },
      ],
    },
  });
  await log.waitFor("session.updated", "after session.update", () => true, from);
}

describe("openai-realtime: the reference bot driven by the official openai SDK (OpenAIRealtimeWS, GA events)", () => {
  test(
    "a spoken query: speech_started, speech_stopped, committed, audio deltas, response.done completed with usage",
    TEST_OPTIONS,
    async () => {
      const query = await clipBytes("query_01_balance.wav");
      await withBot(async (rt, log) => {
        await configure(rt, log);
        const from = log.events.length;
        const speaking = speak(rt, query);
        const started = await log.waitFor("input_audio_buffer.speech_started", "", () => true, from);
        const stopped = await log.waitFor("input_audio_buffer.speech_stopped", "", () => true, from);
        const committed = await log.waitFor("input_audio_buffer.committed", "", () => true, from);
        assert.equal(stopped.item_id, committed.item_id, "speech_stopped and committed name the same item");
        assert.ok(
          stopped.audio_end_ms > started.audio_start_ms,
          `speech from ${started.audio_start_ms} to ${stopped.audio_end_ms} ms`,
        );
        const created = await log.waitFor("response.created", "", () => true, from);
        const responseId = created.response.id;
        assert.equal(typeof responseId, "string");
        const delta = await log.waitFor(
          "response.output_audio.delta",
          "of the response",
          (event) => event.response_id === responseId,
          from,
        );
        assert.equal(typeof delta.item_id, "string");
        assert.equal(delta.output_index, 0);
        assert.equal(delta.content_index, 0);
        await speaking;
        const done = await log.waitFor(
          "response.done",
          "",
          (event) => event.response.id === responseId,
          from,
        );
        assert.equal(
          done.response.status,
          "completed",
          `response.done ${JSON.stringify(done.response.status_details)}; events seen: ${log.seen()}`,
        );
        const usage = done.response.usage;
        assert.ok(usage, "response.done carries usage");
        assert.ok(
          (usage.input_tokens ?? 0) > 0 && (usage.output_tokens ?? 0) > 0,
          `usage ${JSON.stringify(usage)}`,
        );
        assert.equal(usage.total_tokens, (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0));
        assert.ok(
          (done.response.output ?? []).some((item) => item.id === delta.item_id),
          "the audio item is in response.output",
        );

        const deltas = log.all("response.output_audio.delta", (event) => event.response_id === responseId);
        const replyMs = deltas.reduce((sum, event) => sum + deltaMs(event.delta), 0);
        assert.ok(replyMs > 500, `${replyMs} ms of reply audio`);
        const audioDone = await log.waitFor(
          "response.output_audio.done",
          "",
          (event) => event.response_id === responseId,
          from,
        );
        // The turn in order: speech, its end, the response, its audio, the end of the response.
        const order = [started, stopped, committed, created, delta, audioDone, done].map((event) =>
          log.indexOf(event)
        );
        assert.deepEqual(
          order,
          [...order].sort((a, b) => a - b),
          `events out of order: ${log.seen()}`,
        );
        assert.ok(log.indexOf(deltas.at(-1)!) < log.indexOf(audioDone), "no audio after output_audio.done");
      });
    },
  );

  test(
    "barge-in: speaking over the reply cancels it (turn_detected); conversation.item.truncate is answered",
    TEST_OPTIONS,
    async () => {
      const query = await clipBytes("query_02_hours.wav");
      const interrupt = await clipBytes("interrupt_01_card.wav");
      await withBot(async (rt, log) => {
        await configure(rt, log);
        const from = log.events.length;
        const speaking = speak(rt, query);
        const firstDelta = await log.waitFor(
          "response.output_audio.delta",
          "the reply starting",
          () => true,
          from,
        );
        const responseId = firstDelta.response_id;
        const replyStartMs = log.atMs(firstDelta);
        // The client plays the reply for ~300 ms, then the caller talks over it (after the query's silence is sent).
        await Promise.all([speaking, sleep(300)]);
        const bargeFrom = log.events.length;
        const interrupting = speak(rt, interrupt);
        const speechStarted = await log.waitFor(
          "input_audio_buffer.speech_started",
          "the barge-in",
          () => true,
          bargeFrom,
        );
        const cancelled = await log.waitFor(
          "response.done",
          "the reply cancelled",
          (event) => event.response.id === responseId,
          from,
        );
        assert.equal(
          cancelled.response.status,
          "cancelled",
          `the reply was not cancelled by the barge-in; events seen: ${log.seen()}`,
        );
        assert.equal(cancelled.response.status_details?.reason, "turn_detected");
        assert.ok(
          log.indexOf(speechStarted) < log.indexOf(cancelled),
          "speech_started before the cancelled response.done",
        );

        // What the client played: real time since the first delta, at most what it received.
        const cancelledAtMs = log.atMs(cancelled);
        const receivedMs = log
          .all(
            "response.output_audio.delta",
            (event) => event.response_id === responseId && log.indexOf(event) < log.indexOf(cancelled),
          )
          .reduce((sum, event) => sum + deltaMs(event.delta), 0);
        const playedMs = Math.floor(Math.min(receivedMs, cancelledAtMs - replyStartMs));
        assert.ok(playedMs > 300, `played ${playedMs} ms before the barge-in`);
        assert.ok(playedMs < 2500, `played ${playedMs} ms: the reply should have been cut short`);

        const truncateFrom = log.events.length;
        rt.send({
          type: "conversation.item.truncate",
          item_id: firstDelta.item_id,
          content_index: 0,
          audio_end_ms: playedMs,
        });
        const truncated = await log.waitFor("conversation.item.truncated", "", () => true, truncateFrom);
        assert.equal(truncated.item_id, firstDelta.item_id);
        assert.equal(truncated.content_index, 0);
        assert.equal(truncated.audio_end_ms, playedMs);

        await interrupting;
        const late = log.all(
          "response.output_audio.delta",
          (event) => event.response_id === responseId && log.indexOf(event) > log.indexOf(cancelled),
        );
        assert.equal(late.length, 0, "no audio of the cancelled response after its response.done");
      });
    },
  );

  test(
    "tool call: function_call item and arguments, function_call_output + response.create answered with audio",
    TEST_OPTIONS,
    async () => {
      const toolRequest = await clipBytes("tool_04_transactions.wav");
      await withBot(async (rt, log) => {
        await configure(rt, log);
        const from = log.events.length;
        const speaking = speak(rt, toolRequest);
        const added = await log.waitFor(
          "response.output_item.added",
          "a function_call item",
          (event) => event.item.type === "function_call",
          from,
        );
        const argsDelta = await log.waitFor("response.function_call_arguments.delta", "", () => true, from);
        const args = await log.waitFor("response.function_call_arguments.done", "", () => true, from);
        assert.equal(typeof args.call_id, "string");
        assert.ok(args.call_id.length > 0);
        assert.equal(typeof args.name, "string");
        assert.ok(args.name.length > 0);
        assert.doesNotThrow(() => JSON.parse(args.arguments), `arguments are JSON: ${args.arguments}`);
        assert.equal(argsDelta.call_id, args.call_id);
        assert.equal(added.item.id, args.item_id);
        const toolDone = await log.waitFor(
          "response.done",
          "of the tool response",
          (event) => event.response.id === args.response_id,
          from,
        );
        assert.equal(toolDone.response.status, "completed", `events seen: ${log.seen()}`);
        const call = (toolDone.response.output ?? []).find((item) => item.type === "function_call");
        assert.ok(call && call.type === "function_call", "response.output holds the function_call");
        assert.equal(call.call_id, args.call_id);
        assert.equal(call.name, args.name);
        await speaking;

        const answerFrom = log.events.length;
        rt.send({
          type: "conversation.item.create",
          item: {
            type: "function_call_output",
            call_id: args.call_id,
            output: JSON.stringify({ transactions: [{ amount: -42.5, merchant: "Grocer" }] }),
          },
        });
        rt.send({ type: "response.create" });
        const created = await log.waitFor(
          "response.created",
          "the answer after function_call_output",
          () => true,
          answerFrom,
        );
        assert.notEqual(created.response.id, toolDone.response.id, "a new response");
        const delta = await log.waitFor(
          "response.output_audio.delta",
          "of the answer",
          (event) => event.response_id === created.response.id,
          answerFrom,
        );
        assert.ok(deltaMs(delta.delta) > 0);
        const done = await log.waitFor(
          "response.done",
          "of the answer",
          (event) => event.response.id === created.response.id,
          answerFrom,
        );
        assert.equal(done.response.status, "completed", `events seen: ${log.seen()}`);
      });
    },
  );
});
