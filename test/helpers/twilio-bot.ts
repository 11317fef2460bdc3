/**
 * A Twilio Media Streams bot written for the tests from Twilio's published message shapes, without
 * any of voxbench's code: its own mu-law decoder, its own energy VAD, its own message handling. It
 * checks every message the caller sends against Twilio's documentation (numbers as strings,
 * sequenceNumber counting up, chunk and timestamp per 20 ms, the streamSid echoed) and logs, with
 * its own clock, when each frame arrived and when it answered, so a test can check voxbench's
 * numbers against the bot's own account.
 */
import { createServer, type Server } from "node:http";
import { type WebSocket, WebSocketServer } from "ws";

/** How the bot behaves. */
export interface TwilioBotBehaviour {
  /** Delay from the end of the caller's utterance (its VAD's decision) to the first reply media. */
  readonly replyDelayMs: number;
  /** Reply length and media message length. */
  readonly replyMs: number;
  readonly chunkMs: number;
  /** Speech must last this long to count (barge-in, a turn). */
  readonly minSpeechMs: number;
  readonly endpointingMs: number;
  /** Sends clear on barge-in (a correct bot does). */
  readonly clearOnBargeIn: boolean;
  /** Sends a mark after each media message. */
  readonly marks: boolean;
  /** Sends a malformed media message as the reply's third message. */
  readonly malformedReply?: boolean;
}

export const GOOD_BOT: TwilioBotBehaviour = {
  replyDelayMs: 200,
  replyMs: 1500,
  chunkMs: 100,
  minSpeechMs: 400,
  endpointingMs: 400,
  clearOnBargeIn: true,
  marks: true,
};

/** One frame the bot received. */
export interface ReceivedFrame {
  readonly chunk: number;
  readonly atMs: number;
  readonly speech: boolean;
}

/** One reply the bot started. */
export interface BotReply {
  /** The caller's chunk whose energy ended the utterance (the last loud frame before the endpointing silence). */
  readonly lastSpeechChunk: number;
  readonly endpointedAtMs: number;
  firstMediaSentMs: number | undefined;
  lastMediaSentMs: number | undefined;
  clearSentMs: number | undefined;
  /** The chunk where the barge-in speech began (its first loud frame), and when the bot decided it was speech. */
  bargeInOnsetChunk: number | undefined;
  mediaSent: number;
}

/** What the bot saw on one connection. */
export interface TwilioCall {
  readonly messages: Record<string, unknown>[];
  readonly frames: ReceivedFrame[];
  readonly replies: BotReply[];
  readonly marksSent: string[];
  readonly marksEchoed: { readonly name: string; readonly atMs: number }[];
  /** Every way the caller broke Twilio's message shapes. */
  readonly violations: string[];
  streamSid: string | undefined;
  customParameters: Record<string, unknown> | undefined;
  stopped: boolean;
}

/** mu-law byte -> linear 16-bit sample (ITU-T G.711), written out here on purpose. */
function muLawToLinear(byte: number): number {
  const value = ~byte & 0xff;
  const sign = value & 0x80;
  const exponent = (value >> 4) & 0x07;
  const mantissa = value & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

/** Linear sample -> mu-law byte. */
function linearToMuLaw(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(sample), 32635) + 0x84;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  magnitude = 0;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function frameLevelDbfs(payload: Buffer): number {
  let sum = 0;
  for (const byte of payload) {
    const sample = muLawToLinear(byte);
    sum += sample * sample;
  }
  const rms = Math.sqrt(sum / Math.max(1, payload.length)) / 32768;
  return 20 * Math.log10(Math.max(rms, 1e-9));
}

/** A frame at or above this level starts a sound; within one, frames at or above the lower level continue it. */
const ON_DBFS = -40;
const OFF_DBFS = -50;
/** Gaps shorter than this do not end a sound that is not yet speech. */
const CANDIDATE_GAP_MS = 200;

function tonePayload(durationMs: number): string {
  const samples = (8000 * durationMs) / 1000;
  const bytes = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++) {
    bytes[i] = linearToMuLaw(Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000)));
  }
  return bytes.toString("base64");
}

function isNumberString(value: unknown): boolean {
  return typeof value === "string" && /^\d+$/.test(value);
}

export interface TwilioBot {
  readonly url: string;
  readonly calls: TwilioCall[];
  close(): Promise<void>;
}

/** Starts the bot on a free port of 127.0.0.1. */
export async function startTwilioBot(behaviour: TwilioBotBehaviour = GOOD_BOT): Promise<TwilioBot> {
  const http: Server = createServer((_request, response) => response.end());
  const wss = new WebSocketServer({ server: http });
  const calls: TwilioCall[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const chunkPayload = tonePayload(behaviour.chunkMs);
  wss.on("connection", (ws: WebSocket) => {
    const call: TwilioCall = {
      messages: [],
      frames: [],
      replies: [],
      marksSent: [],
      marksEchoed: [],
      violations: [],
      streamSid: undefined,
      customParameters: undefined,
      stopped: false,
    };
    calls.push(call);
    let lastSequence = 0;
    let lastChunk = 0;
    // VAD state, on the stream's own 20 ms frames.
    let inSpeech = false;
    let candidateFrames = 0;
    let candidateOnsetChunk = 0;
    let candidateGapFrames = 0;
    let silentFrames = 0;
    let lastSpeechChunk = 0;
    let reply: BotReply | undefined;
    let streaming: ReturnType<typeof setInterval> | undefined;
    const send = (message: Record<string, unknown>): number => {
      const atMs = performance.now();
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
      return atMs;
    };
    const stopStreaming = (): void => {
      if (streaming) clearInterval(streaming);
      streaming = undefined;
    };
    const startReply = (endpointedAtMs: number): void => {
      const current: BotReply = {
        lastSpeechChunk,
        endpointedAtMs,
        firstMediaSentMs: undefined,
        lastMediaSentMs: undefined,
        clearSentMs: undefined,
        bargeInOnsetChunk: undefined,
        mediaSent: 0,
      };
      call.replies.push(current);
      reply = current;
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (reply !== current) return;
        const total = Math.round(behaviour.replyMs / behaviour.chunkMs);
        const sendChunk = (): void => {
          if (reply !== current || current.mediaSent >= total) {
            stopStreaming();
            return;
          }
          if (behaviour.malformedReply && current.mediaSent === 2) ws.send('{"event":"media","streamSid":');
          const sentMs = send({
            event: "media",
            streamSid: call.streamSid,
            media: { payload: chunkPayload },
          });
          current.firstMediaSentMs ??= sentMs;
          current.lastMediaSentMs = sentMs;
          current.mediaSent++;
          if (behaviour.marks) {
            const name = `reply-${call.replies.length}-${current.mediaSent}`;
            call.marksSent.push(name);
            send({ event: "mark", streamSid: call.streamSid, mark: { name } });
          }
        };
        sendChunk();
        streaming = setInterval(sendChunk, behaviour.chunkMs);
      }, behaviour.replyDelayMs);
      timers.add(timer);
    };
    ws.on("message", (data) => {
      const atMs = performance.now();
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        call.violations.push(`not JSON: ${String(data).slice(0, 60)}`);
        return;
      }
      call.messages.push(message);
      const event = message.event;
      if (event === "connected") {
        if (call.messages.length !== 1) call.violations.push("connected is not the first message");
        if (message.protocol !== "Call" || typeof message.version !== "string") {
          call.violations.push("connected without protocol Call and a version");
        }
        return;
      }
      if (!isNumberString(message.sequenceNumber)) {
        call.violations.push(`${String(event)}: sequenceNumber is not a number string`);
      } else {
        const sequence = Number(message.sequenceNumber);
        if (sequence !== lastSequence + 1) {
          call.violations.push(`${String(event)}: sequenceNumber ${sequence} after ${lastSequence}`);
        }
        lastSequence = sequence;
      }
      if (event === "start") {
        const start = message.start as Record<string, unknown> | undefined;
        call.streamSid = typeof message.streamSid === "string" ? message.streamSid : undefined;
        if (!/^MZ[0-9a-f]{32}$/.test(call.streamSid ?? "")) {
          call.violations.push(`start: streamSid ${String(message.streamSid)} is not MZ + 32 hex digits`);
        }
        if (start?.streamSid !== call.streamSid) {
          call.violations.push("start.streamSid differs from streamSid");
        }
        if (
          !/^CA[0-9a-f]{32}$/.test(String(start?.callSid)) ||
          !/^AC[0-9a-f]{32}$/.test(String(start?.accountSid))
        ) call.violations.push("start without Twilio-shaped callSid and accountSid");
        if (JSON.stringify(start?.tracks) !== '["inbound"]') {
          call.violations.push('start.tracks is not ["inbound"]');
        }
        const format = start?.mediaFormat as Record<string, unknown> | undefined;
        if (format?.encoding !== "audio/x-mulaw" || format.sampleRate !== 8000 || format.channels !== 1) {
          call.violations.push("start.mediaFormat is not audio/x-mulaw 8000 1");
        }
        call.customParameters = start?.customParameters as Record<string, unknown> | undefined;
        return;
      }
      if (message.streamSid !== call.streamSid) {
        call.violations.push(`${String(event)}: streamSid ${String(message.streamSid)} is not the call's`);
      }
      if (event === "mark") {
        call.marksEchoed.push({ name: String((message.mark as { name?: unknown } | undefined)?.name), atMs });
        return;
      }
      if (event === "stop") {
        call.stopped = true;
        return;
      }
      if (event !== "media") {
        call.violations.push(`unexpected event ${String(event)}`);
        return;
      }
      const media = message.media as Record<string, unknown> | undefined;
      if (media?.track !== "inbound") call.violations.push("media.track is not inbound");
      if (!isNumberString(media?.chunk) || !isNumberString(media?.timestamp)) {
        call.violations.push("media.chunk or media.timestamp is not a number string");
        return;
      }
      const chunk = Number(media!.chunk);
      if (chunk !== lastChunk + 1) call.violations.push(`media.chunk ${chunk} after ${lastChunk}`);
      lastChunk = chunk;
      if (Number(media!.timestamp) !== (chunk - 1) * 20) {
        call.violations.push(`media.timestamp ${String(media!.timestamp)} for chunk ${chunk}`);
      }
      const payload = Buffer.from(String(media!.payload), "base64");
      if (payload.length !== 160) {
        call.violations.push(`media payload of ${payload.length} bytes, not 160 (20 ms)`);
      }
      const level = frameLevelDbfs(payload);
      const speech = level >= (inSpeech || candidateFrames > 0 ? OFF_DBFS : ON_DBFS);
      call.frames.push({ chunk, atMs, speech });
      // The bot's VAD: energy with hysteresis, a minimum speech (gaps under 200 ms allowed) to count, endpointing silence to end.
      if (speech) {
        if (!inSpeech) {
          if (candidateFrames === 0) candidateOnsetChunk = chunk;
          candidateFrames++;
          candidateGapFrames = 0;
          if (candidateFrames * 20 >= behaviour.minSpeechMs) {
            inSpeech = true;
            candidateFrames = 0;
            if (reply && streaming) {
              reply.bargeInOnsetChunk = candidateOnsetChunk;
              if (behaviour.clearOnBargeIn) {
                stopStreaming();
                reply.clearSentMs = send({ event: "clear", streamSid: call.streamSid });
                reply = undefined;
              }
            }
          }
        }
        silentFrames = 0;
        lastSpeechChunk = chunk;
        return;
      }
      if (!inSpeech) {
        if (candidateFrames > 0 && ++candidateGapFrames * 20 >= CANDIDATE_GAP_MS) {
          candidateFrames = 0;
          candidateGapFrames = 0;
        }
        return;
      }
      silentFrames++;
      if (silentFrames * 20 >= behaviour.endpointingMs) {
        inSpeech = false;
        silentFrames = 0;
        if (streaming) return; // still talking (a bot without clear): it does not answer over itself
        startReply(atMs);
      }
    });
    ws.on("close", () => stopStreaming());
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `ws://127.0.0.1:${(http.address() as { port: number }).port}/media`,
    calls,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
