import { createClip } from "../../audio/pcm.ts";
import {
  decodeWireAudio,
  encodeForWire,
  wireDurationMs,
  type WireFormat,
  wireFormatKey,
} from "../../audio/wire-format.ts";
import type { BotInput, BotOptions, BotSide, ReplyChunk, WireFrame } from "../adapter.ts";
import { fromBase64, toBase64 } from "../base64.ts";
import { frameText, parseJsonObject } from "../json.ts";
import {
  BETA_HEADER,
  defaultSession,
  eventNames,
  formatFor,
  objectOf,
  REALTIME_PCM_RATE_HZ,
  type RealtimeApi,
  sessionShape,
  stringOf,
} from "./codec.ts";

type Format = Omit<WireFormat, "frameMs">;

const DEFAULT_FORMAT: Format = { encoding: "pcm16", sampleRateHz: REALTIME_PCM_RATE_HZ };

/** Reply chunks in another format than the server prepared, converted once per chunk and format for every connection. */
const converted = new WeakMap<ReplyChunk, Map<string, string>>();

function chunkIn(chunk: ReplyChunk, from: Format, to: Format): string {
  if (from.encoding === to.encoding && from.sampleRateHz === to.sampleRateHz) return chunk.base64;
  let byFormat = converted.get(chunk);
  if (!byFormat) {
    byFormat = new Map();
    converted.set(chunk, byFormat);
  }
  const key = wireFormatKey(to);
  let base64 = byFormat.get(key);
  if (base64 === undefined) {
    const samples = decodeWireAudio(fromBase64(chunk.base64) ?? new Uint8Array(0), from);
    base64 = toBase64(encodeForWire(createClip(samples, from.sampleRateHz), to).bytes);
    byFormat.set(key, base64);
  }
  return base64;
}

function headerValue(headers: BotOptions["requestHeaders"], name: string): string {
  const value = headers?.[name.toLowerCase()];
  return Array.isArray(value) ? value.join(",") : (value ?? "");
}

/**
 * The reference bot's side of OpenAI's Realtime API: GA event names, or beta ones to a client that
 * sends `OpenAI-Beta: realtime=v1`. It honours `session.update` (formats, server VAD with its
 * `silence_duration_ms`, `interrupt_response`, manual mode), reads `input_audio_buffer.append`
 * for its VAD, answers commits, truncations and item creations, and streams each reply as a
 * response (`response.created` ... audio deltas ... `response.done` with usage); a barge-in
 * cancels the response (`status: "cancelled"`, reason `turn_detected`, or `client_cancelled` after
 * `response.cancel`); a tool request is a `function_call` response, and the reply follows the
 * client's `function_call_output` and `response.create`.
 *
 * @example
 * ```ts
 * import { realtimeBot } from "./bot.ts";
 * const bot = realtimeBot({ inputSampleRateHz: 24000 });
 * console.log(JSON.parse(String(bot.greeting("s1")[0])).type); // "session.created"
 * ```
 */
export function realtimeBot(options: BotOptions): BotSide {
  const api: RealtimeApi = headerValue(options.requestHeaders, BETA_HEADER.name).includes(BETA_HEADER.value)
    ? "beta"
    : "ga";
  const names = eventNames(api);
  const serverFormat: Format = options.replyFormat ?? DEFAULT_FORMAT;
  let sessionId = "";
  let input: Format = DEFAULT_FORMAT;
  let output: Format = DEFAULT_FORMAT;
  const initial = defaultSession(api);
  /** The session's turn_detection as configured, echoed in session.updated. */
  let turnDetection: unknown = api === "beta"
    ? initial.turn_detection
    : objectOf(objectOf(initial.audio, "input"), "turn_detection");
  let ids = 0;
  let eventIds = 0;
  /** The caller's audio since the last commit (input tokens), and the id of the item it becomes. */
  let pendingInputMs = 0;
  let inputItemId = `item_in_${++ids}`;
  let previousItemId: string | null = null;
  let response:
    | { readonly id: string; readonly itemId: string; audioMs: number; inputMs: number }
    | undefined;
  let cancelReason = "turn_detected";

  const event = (type: string, fields: Readonly<Record<string, unknown>> = {}): string =>
    JSON.stringify({ type, event_id: `event_${++eventIds}`, ...fields });
  const newId = (prefix: string): string => `${prefix}_${sessionId.slice(0, 8)}${++ids}`;
  const usage = (inputMs: number, audioMs: number): Record<string, number> => {
    // As the API counts audio: 1 token per 100 ms heard, 1 per 50 ms spoken.
    const inputTokens = Math.ceil(inputMs / 100);
    const outputTokens = Math.ceil(audioMs / 50);
    return {
      total_tokens: inputTokens + outputTokens,
      input_tokens: inputTokens,
      output_tokens: outputTokens,
    };
  };
  const sessionObject = (): Record<string, unknown> => {
    const base = defaultSession(api);
    if (api === "beta") {
      return {
        id: sessionId,
        object: "realtime.session",
        ...base,
        input_audio_format: formatFor(input, api),
        output_audio_format: formatFor(output, api),
        turn_detection: turnDetection,
      };
    }
    return {
      id: sessionId,
      object: "realtime.session",
      ...base,
      audio: {
        input: { format: formatFor(input, api), turn_detection: turnDetection },
        output: { format: formatFor(output, api), voice: "marin" },
      },
    };
  };
  const startResponse = (frames: WireFrame[]): NonNullable<typeof response> => {
    if (response) return response;
    const started = { id: newId("resp"), itemId: newId("item"), audioMs: 0, inputMs: pendingInputMs };
    pendingInputMs = 0;
    response = started;
    frames.push(
      event("response.created", {
        response: { id: started.id, object: "realtime.response", status: "in_progress", output: [] },
      }),
    );
    return started;
  };
  const messageItem = (itemId: string, status: string): Record<string, unknown> => ({
    id: itemId,
    object: "realtime.item",
    type: "message",
    role: "assistant",
    status,
    content: [{ type: "audio" }],
  });
  const endResponse = (status: "completed" | "cancelled", reason: string | undefined): WireFrame[] => {
    const ended = response;
    if (!ended) return [];
    response = undefined;
    const itemStatus = status === "completed" ? "completed" : "incomplete";
    const frames: WireFrame[] = [];
    if (ended.audioMs > 0) {
      const at = { response_id: ended.id, item_id: ended.itemId, output_index: 0, content_index: 0 };
      frames.push(
        event(names.audioDone, at),
        event("response.content_part.done", { ...at, part: { type: "audio" } }),
      );
      frames.push(
        event("response.output_item.done", {
          response_id: ended.id,
          output_index: 0,
          item: messageItem(ended.itemId, itemStatus),
        }),
      );
    }
    frames.push(
      event("response.done", {
        response: {
          id: ended.id,
          object: "realtime.response",
          status,
          status_details: status === "cancelled" ? { type: "cancelled", reason } : null,
          output: ended.audioMs > 0 ? [messageItem(ended.itemId, itemStatus)] : [],
          usage: usage(ended.inputMs, ended.audioMs),
        },
      }),
    );
    return frames;
  };
  const invalid = (reason: string): BotInput[] => [{ kind: "invalid", reason }];
  /** The caller's committed audio became a conversation item. */
  const userItemAdded = (): WireFrame[] => {
    const item = {
      id: inputItemId,
      object: "realtime.item",
      type: "message",
      role: "user",
      status: "completed",
      content: [{ type: "input_audio", transcript: null }],
    };
    const frames: WireFrame[] = [event(names.itemAdded, { previous_item_id: previousItemId, item })];
    if (api === "ga") {
      frames.push(event("conversation.item.done", { previous_item_id: previousItemId, item }));
    }
    previousItemId = inputItemId;
    inputItemId = newId("item_in");
    return frames;
  };

  return {
    stopEndsReply: true,
    clientRunsTools: true,
    alwaysEndsReplies: true,
    greeting(id) {
      sessionId = id;
      return [event("session.created", { session: sessionObject() })];
    },
    decode(data, isBinary): BotInput[] {
      if (isBinary) return invalid("binary frame: Realtime events are JSON text");
      const parsed = parseJsonObject(frameText(data));
      if (!parsed.ok) return invalid(parsed.reason);
      const message = parsed.value;
      const type = message.type;
      switch (type) {
        case "input_audio_buffer.append": {
          const audio = typeof message.audio === "string" ? fromBase64(message.audio) : undefined;
          if (!audio) {
            return invalid("input_audio_buffer.append needs audio: base64 of the session's input format");
          }
          pendingInputMs += wireDurationMs(audio.length, input);
          return [{
            kind: "audio",
            samples: decodeWireAudio(audio, input),
            sampleRateHz: input.sampleRateHz,
          }];
        }
        case "session.update": {
          const session = objectOf(message, "session");
          if (!session) return invalid("session.update needs a session object");
          const shape = sessionShape(session);
          if (typeof shape === "string") return invalid(`session.update: ${shape}`);
          input = shape.input ?? input;
          output = shape.output ?? output;
          const inputs: BotInput[] = [];
          if (shape.turnDetection) {
            const audioInput = objectOf(objectOf(session, "audio"), "input");
            turnDetection = audioInput && "turn_detection" in audioInput
              ? audioInput.turn_detection
              : session.turn_detection;
            const detection = shape.turnDetection;
            inputs.push(
              detection.mode === "manual"
                ? { kind: "turn_detection", mode: "manual", silenceMs: undefined, interrupt: false }
                : {
                  kind: "turn_detection",
                  mode: "server",
                  silenceMs: detection.silenceMs,
                  interrupt: detection.interruptResponse,
                },
            );
          }
          inputs.push({ kind: "answer", frames: [event("session.updated", { session: sessionObject() })] });
          return inputs;
        }
        case "input_audio_buffer.commit": {
          const itemId = inputItemId;
          const frames = [
            event("input_audio_buffer.committed", { previous_item_id: previousItemId, item_id: itemId }),
            ...userItemAdded(),
          ];
          return [{ kind: "commit" }, { kind: "answer", frames }];
        }
        case "input_audio_buffer.clear":
          pendingInputMs = 0;
          return [{ kind: "answer", frames: [event("input_audio_buffer.cleared")] }];
        case "response.create":
          return [{ kind: "respond" }];
        case "response.cancel":
          cancelReason = "client_cancelled";
          return [{ kind: "cancel" }];
        case "conversation.item.create": {
          const item = objectOf(message, "item");
          if (!item || typeof item.type !== "string") {
            return invalid("conversation.item.create needs an item with a type");
          }
          const id = stringOf(item, "id") ?? newId("item");
          return [{
            kind: "answer",
            frames: [event(names.itemAdded, { previous_item_id: previousItemId, item: { ...item, id } })],
          }];
        }
        case "conversation.item.truncate": {
          const itemId = stringOf(message, "item_id");
          const endMs = message.audio_end_ms;
          if (itemId === undefined || typeof endMs !== "number" || !(endMs >= 0)) {
            return invalid("conversation.item.truncate needs item_id and audio_end_ms");
          }
          return [{
            kind: "answer",
            frames: [
              event("conversation.item.truncated", {
                item_id: itemId,
                content_index: message.content_index ?? 0,
                audio_end_ms: endMs,
              }),
            ],
          }];
        }
        default:
          return invalid(
            typeof type === "string" ? `unknown client event type "${type}"` : 'event has no "type"',
          );
      }
    },
    speechStarted: (
      audioStartMs,
    ) => [
      event("input_audio_buffer.speech_started", {
        audio_start_ms: Math.round(audioStartMs),
        item_id: inputItemId,
      }),
    ],
    speechStopped: (audioEndMs) => {
      const itemId = inputItemId;
      return [
        event("input_audio_buffer.speech_stopped", { audio_end_ms: Math.round(audioEndMs), item_id: itemId }),
        event("input_audio_buffer.committed", { previous_item_id: previousItemId, item_id: itemId }),
        ...userItemAdded(),
      ];
    },
    replyChunk(chunk) {
      const frames: WireFrame[] = [];
      const current = response ?? startResponse(frames);
      if (current.audioMs === 0) {
        frames.push(
          event("response.output_item.added", {
            response_id: current.id,
            output_index: 0,
            item: messageItem(current.itemId, "in_progress"),
          }),
        );
        frames.push(
          event("response.content_part.added", {
            response_id: current.id,
            item_id: current.itemId,
            output_index: 0,
            content_index: 0,
            part: { type: "audio" },
          }),
        );
      }
      current.audioMs += chunk.durationMs;
      frames.push(
        `{"type":"${names.audioDelta}","event_id":"event_${++eventIds}","response_id":"${current.id}","item_id":"${current.itemId}","output_index":0,"content_index":0,"delta":"${
          chunkIn(chunk, serverFormat, output)
        }"}`,
      );
      return frames;
    },
    stop() {
      const reason = cancelReason;
      cancelReason = "turn_detected";
      return endResponse("cancelled", reason);
    },
    resume: () => [],
    reset: () => endResponse("cancelled", "turn_detected"),
    done: () => endResponse("completed", undefined),
    metrics: () => [],
    toolCall(name, callId) {
      const frames: WireFrame[] = [];
      const current = startResponse(frames);
      const item = {
        id: current.itemId,
        object: "realtime.item",
        type: "function_call",
        status: "in_progress",
        name,
        call_id: callId,
        arguments: "",
      };
      const args = "{}";
      frames.push(event("response.output_item.added", { response_id: current.id, output_index: 0, item }));
      frames.push(
        event("response.function_call_arguments.delta", {
          response_id: current.id,
          item_id: current.itemId,
          output_index: 0,
          call_id: callId,
          delta: args,
        }),
      );
      frames.push(
        event("response.function_call_arguments.done", {
          response_id: current.id,
          item_id: current.itemId,
          output_index: 0,
          call_id: callId,
          name,
          arguments: args,
        }),
      );
      const done = { ...item, status: "completed", arguments: args };
      frames.push(
        event("response.output_item.done", { response_id: current.id, output_index: 0, item: done }),
      );
      response = undefined;
      frames.push(
        event("response.done", {
          response: {
            id: current.id,
            object: "realtime.response",
            status: "completed",
            status_details: null,
            output: [done],
            usage: usage(current.inputMs, 0),
          },
        }),
      );
      return frames;
    },
    toolResult: () => [],
    error: (
      message,
    ) => [
      event("error", {
        error: {
          type: "invalid_request_error",
          code: message.startsWith("injected fault") ? "server_error" : "invalid_request_error",
          message,
          param: null,
          event_id: null,
        },
      }),
    ],
  };
}
