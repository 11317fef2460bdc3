/**
 * A Realtime-API bot written for the tests from OpenAI's published event shapes alone (nothing
 * from src/): GA event names (beta on request), PCM16 24 kHz both ways, an energy VAD on the
 * appended audio, replies streamed twice as fast as real time (so a client's player is behind
 * what it received, as with the real API), barge-in by cancelling the response, and a function
 * call for a long utterance. It logs what it saw and sent, with performance.now() times.
 */
import { createServer } from "node:http";
import { Buffer } from "node:buffer";
import { type WebSocket, WebSocketServer } from "ws";

export interface RealtimeBotCall {
  /** Every client event, in order, with its receive time. */
  readonly received: {
    readonly type: string;
    readonly atMs: number;
    readonly event: Record<string, unknown>;
  }[];
  /** Per input_audio_buffer.append (1-based: appends[k - 1]): its receive time and byte length. */
  readonly appends: { readonly atMs: number; readonly bytes: number }[];
  /** Per response: when it was created, its first audio delta sent, and its end. */
  readonly responses: {
    id: string;
    itemId: string;
    tool: boolean;
    firstDeltaSentMs: number | undefined;
    argumentsDoneSentMs: number | undefined;
    audioSentMs: number;
    cancelledAtMs: number | undefined;
  }[];
  /** Per detected utterance: when speech_stopped was sent. */
  readonly speechStoppedSentMs: number[];
  readonly headers: Record<string, string | string[] | undefined>;
}

export interface RealtimeBotOptions {
  readonly api?: "ga" | "beta";
  /** Answer each utterance with an error event of this code instead of a response. */
  readonly errorCode?: string;
  /** Close the connection (1011) after this many audio deltas of the first response. */
  readonly closeAfterDeltas?: number;
}

export interface RealtimeBot {
  readonly url: string;
  readonly calls: RealtimeBotCall[];
  close(): Promise<void>;
}

const RATE_HZ = 24000;
/** Reply: 30 deltas of 100 ms of tone, one every 50 ms. */
const DELTAS = 30;
const DELTA_MS = 100;
const DELTA_INTERVAL_MS = 50;
/** An utterance whose speech spans this long asks for a tool. */
const TOOL_SPEECH_MS = 2500;

export async function realtimeBot(options: RealtimeBotOptions = {}): Promise<RealtimeBot> {
  const beta = options.api === "beta";
  const audioDelta = beta ? "response.audio.delta" : "response.output_audio.delta";
  const audioDone = beta ? "response.audio.done" : "response.output_audio.done";
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  const calls: RealtimeBotCall[] = [];
  const tone = Buffer.alloc((RATE_HZ * DELTA_MS) / 1000 * 2);
  for (let i = 0; i < tone.length / 2; i++) {
    tone.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / RATE_HZ)), i * 2);
  }
  const toneBase64 = tone.toString("base64");
  let ids = 0;
  wss.on("connection", (ws: WebSocket, request) => {
    const call: RealtimeBotCall = {
      received: [],
      appends: [],
      responses: [],
      speechStoppedSentMs: [],
      headers: request.headers,
    };
    calls.push(call);
    const send = (event: Record<string, unknown>): number => {
      const atMs = performance.now();
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event_id: `ev${++ids}`, ...event }));
      return atMs;
    };
    let loudFrames = 0;
    let silentFrames = 0;
    let speaking = false;
    let speechStartAppend = 0;
    let lastLoudAppend = 0;
    let active: RealtimeBotCall["responses"][number] | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    let totalDeltas = 0;
    const finish = (
      response: RealtimeBotCall["responses"][number],
      status: "completed" | "cancelled",
    ): void => {
      clearInterval(timer);
      timer = undefined;
      active = undefined;
      if (!response.tool) {
        send({
          type: audioDone,
          response_id: response.id,
          item_id: response.itemId,
          output_index: 0,
          content_index: 0,
        });
      }
      const output = response.tool
        ? [{ type: "function_call", call_id: `call_${response.id}`, name: "get_balance", arguments: "{}" }]
        : [{ type: "message", id: response.itemId }];
      send({
        type: "response.done",
        response: {
          id: response.id,
          status,
          status_details: status === "cancelled" ? { type: "cancelled", reason: "turn_detected" } : null,
          output,
          usage: { total_tokens: 30, input_tokens: 10, output_tokens: 20 },
        },
      });
    };
    const respond = (tool: boolean): void => {
      if (options.errorCode) {
        send({
          type: "error",
          error: {
            type: "invalid_request_error",
            code: options.errorCode,
            message: "try again later",
            param: null,
          },
        });
        return;
      }
      const response = {
        id: `resp_${++ids}`,
        itemId: `item_${++ids}`,
        tool,
        firstDeltaSentMs: undefined,
        argumentsDoneSentMs: undefined,
        audioSentMs: 0,
        cancelledAtMs: undefined,
      } as RealtimeBotCall["responses"][number];
      call.responses.push(response);
      active = response;
      send({ type: "response.created", response: { id: response.id, status: "in_progress" } });
      if (tool) {
        send({
          type: "response.output_item.added",
          response_id: response.id,
          output_index: 0,
          item: {
            id: response.itemId,
            type: "function_call",
            name: "get_balance",
            call_id: `call_${response.id}`,
          },
        });
        response.argumentsDoneSentMs = send({
          type: "response.function_call_arguments.done",
          response_id: response.id,
          item_id: response.itemId,
          call_id: `call_${response.id}`,
          name: "get_balance",
          arguments: "{}",
        });
        finish(response, "completed");
        return;
      }
      let sent = 0;
      timer = setInterval(() => {
        if (options.closeAfterDeltas !== undefined && totalDeltas >= options.closeAfterDeltas) {
          clearInterval(timer);
          ws.close(1011, "bot failure");
          return;
        }
        const atMs = send({
          type: audioDelta,
          response_id: response.id,
          item_id: response.itemId,
          output_index: 0,
          content_index: 0,
          delta: toneBase64,
        });
        response.firstDeltaSentMs ??= atMs;
        response.audioSentMs += DELTA_MS;
        totalDeltas++;
        if (++sent === DELTAS) finish(response, "completed");
      }, DELTA_INTERVAL_MS);
    };
    send({ type: "session.created", session: { id: `sess_${calls.length}`, object: "realtime.session" } });
    ws.on("message", (data) => {
      const atMs = performance.now();
      const event = JSON.parse(String(data)) as Record<string, unknown>;
      const type = String(event.type);
      call.received.push({ type, atMs, event });
      switch (type) {
        case "session.update":
          send({ type: "session.updated", session: event.session });
          return;
        case "conversation.item.truncate":
          send({
            type: "conversation.item.truncated",
            item_id: event.item_id,
            content_index: 0,
            audio_end_ms: event.audio_end_ms,
          });
          return;
        case "conversation.item.create":
          send({ type: beta ? "conversation.item.created" : "conversation.item.added", item: event.item });
          return;
        case "response.create":
          respond(false);
          return;
        case "input_audio_buffer.append":
          break;
        default:
          return;
      }
      const pcm = Buffer.from(String(event.audio), "base64");
      call.appends.push({ atMs, bytes: pcm.length });
      let sum = 0;
      for (let i = 0; i + 1 < pcm.length; i += 2) sum += pcm.readInt16LE(i) ** 2;
      const loud = Math.sqrt(sum / (pcm.length / 2)) / 32768 > 0.01;
      const appendNumber = call.appends.length;
      if (loud) {
        if (loudFrames === 0) speechStartAppend = appendNumber;
        loudFrames++;
        silentFrames = 0;
        lastLoudAppend = appendNumber;
        if (!speaking && loudFrames >= 10) {
          speaking = true;
          send({
            type: "input_audio_buffer.speech_started",
            audio_start_ms: (speechStartAppend - 1) * 20,
            item_id: `in_${appendNumber}`,
          });
          if (active && !active.tool) {
            active.cancelledAtMs = performance.now();
            finish(active, "cancelled");
          }
        }
        return;
      }
      silentFrames++;
      if (!speaking) {
        if (silentFrames >= 10) loudFrames = 0;
        return;
      }
      if (silentFrames * 20 < 400) return;
      speaking = false;
      const speechMs = (lastLoudAppend - speechStartAppend + 1) * 20;
      loudFrames = 0;
      call.speechStoppedSentMs.push(
        send({
          type: "input_audio_buffer.speech_stopped",
          audio_end_ms: lastLoudAppend * 20,
          item_id: `in_${appendNumber}`,
        }),
      );
      send({ type: "input_audio_buffer.committed", item_id: `in_${appendNumber}` });
      setTimeout(() => respond(speechMs >= TOOL_SPEECH_MS), 100);
    });
    ws.on("close", () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}/v1/realtime?model=gpt-realtime`,
    calls,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
