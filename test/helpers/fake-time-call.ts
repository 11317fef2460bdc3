/**
 * A Twilio call on fake time over a real loopback socket: voxbench's session (caller side) with a
 * {@link FakeTime} clock and scheduler, and a bot in the test that records what arrives (at the
 * fake time it was read) and sends what the test tells it to. After every task the fake time runs,
 * the bot has read all the caller sent, so an arrival's fake time is its send's.
 */
import { Buffer } from "node:buffer";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { AudioAsset } from "../../src/audio/asset.ts";
import { createClip } from "../../src/audio/pcm.ts";
import type { WireFormat } from "../../src/audio/wire-format.ts";
import { twilio } from "../../src/protocols/twilio/protocol.ts";
import { encodeBotMessage } from "../../src/protocols/twilio/codec.ts";
import { Session } from "../../src/session/session.ts";
import { openSocket } from "../../src/session/socket.ts";
import { FakeTime } from "./fake-time.ts";
import { tone } from "./test-audio.ts";

export const TWILIO_FORMAT: WireFormat & { frameMs: number } = {
  encoding: "mulaw",
  sampleRateHz: 8000,
  frameMs: 20,
};

interface Received {
  readonly message: Record<string, unknown>;
  /** Fake time when the bot read it. */
  readonly atMs: number;
}

/** The bot's end of the call. */
export class FakeTimeBot {
  readonly received: Received[] = [];
  streamSid = "";

  constructor(private readonly socket: WebSocket, private readonly time: FakeTime) {
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      if (message.event === "start") this.streamSid = String(message.streamSid);
      this.received.push({ message, atMs: this.time.nowMs });
    });
  }

  /** Resolves once everything the caller sent so far has arrived: its pong follows it on the wire. */
  caughtUp(): Promise<void> {
    return new Promise((resolve) => {
      this.socket.once("pong", () => resolve());
      this.socket.ping();
    });
  }

  media(): Record<string, unknown>[] {
    return this.received.map((entry) => entry.message).filter((message) => message.event === "media");
  }

  /** Sends reply audio (mu-law bytes), or a mark. */
  sendMedia(mulaw: Uint8Array): void {
    const payload = Buffer.from(mulaw).toString("base64");
    this.socket.send(encodeBotMessage({ event: "media", streamSid: this.streamSid, payload }));
  }

  sendMark(name: string): void {
    this.socket.send(encodeBotMessage({ event: "mark", streamSid: this.streamSid, name }));
  }
}

export interface FakeTimeCall {
  readonly time: FakeTime;
  readonly bot: FakeTimeBot;
  readonly session: Session;
  /** Each frame's send lag, as the voice reported it. */
  readonly lagsMs: number[];
  /** Stops the voice and closes the connection. */
  close(): Promise<void>;
}

/** A loopback server for calls; `call()` opens one at fake time `startMs`, started (connected, start sent). */
export async function fakeTimeCalls(): Promise<
  { call(startMs?: number): Promise<FakeTimeCall>; close(): Promise<void> }
> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  return {
    async call(startMs = 1_000): Promise<FakeTimeCall> {
      const time = new FakeTime(startMs);
      const accepted = new Promise<FakeTimeBot>((resolve) =>
        server.once("connection", (socket) => resolve(new FakeTimeBot(socket, time)))
      );
      const socket = await openSocket({ url, connectTimeoutMs: 5_000 });
      const bot = await accepted;
      const lagsMs: number[] = [];
      const caller = twilio.caller({
        wireFormat: TWILIO_FORMAT,
        replyFormat: TWILIO_FORMAT,
        parameters: {},
        connectionKey: "fake-time",
      });
      const session = new Session(socket, {
        protocol: twilio,
        caller,
        wireFormat: TWILIO_FORMAT,
        scheduler: time,
        clock: time.clock,
        timing: { frameSendLag: (lagMs) => lagsMs.push(lagMs) },
      });
      session.start();
      await bot.caughtUp();
      time.settle = () => bot.caughtUp();
      return {
        time,
        bot,
        session,
        lagsMs,
        close: async () => {
          session.voice.stop();
          await session.close();
        },
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A clip with 200 ms of silence, 400 ms of "speech" (a tone) and 200 ms of silence. */
export function toneAsset(role: "query" | "tool" | "interrupt" = "query"): AudioAsset {
  const samples = new Int16Array(16000 * 0.8);
  samples.set(tone(400), 16000 * 0.2);
  return new AudioAsset({ name: `${role}_tone.wav`, role, clip: createClip(samples, 16000) });
}
