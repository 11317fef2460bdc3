/**
 * A streaming caller's session on fake time (test/helpers/fake-time.ts) over a real loopback
 * socket: which frame leaves when, how a stall shows as lag without shifting the frames after it,
 * when a Twilio mark is answered, and a wait that times out. No test here sleeps: time moves when
 * the test advances it, and after each task the bot has read all the caller sent (ping, pong), so
 * the fake time of each arrival is the fake time it was sent.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { AudioAsset } from "../../src/audio/asset.ts";
import { createClip } from "../../src/audio/pcm.ts";
import { type WireFormat } from "../../src/audio/wire-format.ts";
import { openSocket } from "../../src/session/socket.ts";
import { Session } from "../../src/session/session.ts";
import { framedClip } from "../../src/session/voice.ts";
import { twilio } from "../../src/protocols/twilio/protocol.ts";
import { encodeBotMessage } from "../../src/protocols/twilio/codec.ts";
import { FakeTime } from "../helpers/fake-time.ts";
import { tone } from "../helpers/test-audio.ts";

const FORMAT: WireFormat & { frameMs: number } = { encoding: "mulaw", sampleRateHz: 8000, frameMs: 20 };

interface Received {
  readonly message: Record<string, unknown>;
  /** Fake time when the server read it. */
  readonly atMs: number;
}

/** A Twilio-style bot: records what the caller sends, and lets the test send it messages. */
class Bot {
  readonly received: Received[] = [];
  socket: WebSocket | undefined;

  constructor(private readonly time: FakeTime) {}

  accept(socket: WebSocket): void {
    this.socket = socket;
    socket.on("message", (data) => {
      this.received.push({
        message: JSON.parse(String(data)) as Record<string, unknown>,
        atMs: this.time.nowMs,
      });
    });
  }

  /** Resolves once everything the caller sent so far has arrived: its pong follows it on the wire. */
  caughtUp(): Promise<void> {
    return new Promise((resolve) => {
      this.socket!.once("pong", () => resolve());
      this.socket!.ping();
    });
  }

  media(): Record<string, unknown>[] {
    return this.received.map((entry) => entry.message).filter((message) => message.event === "media");
  }
}

/** A clip with 200 ms of silence, 400 ms of "speech" (a tone) and 200 ms of silence. */
function toneAsset(): AudioAsset {
  const samples = new Int16Array(16000 * 0.8);
  samples.set(tone(400), 16000 * 0.2);
  return new AudioAsset({ name: "tone.wav", role: "query", clip: createClip(samples, 16000) });
}

describe("a streaming caller on fake time, over a real socket", () => {
  let server: WebSocketServer;
  let url = "";
  let bot: Bot;
  let time: FakeTime;
  let session: Session;
  let lagsMs: number[];

  before(async () => {
    server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A started Twilio session at fake time 1000, its bot connected. */
  async function connect(): Promise<void> {
    time = new FakeTime(1_000);
    bot = new Bot(time);
    lagsMs = [];
    const accepted = new Promise<void>((resolve) =>
      server.once("connection", (socket) => {
        bot.accept(socket);
        resolve();
      })
    );
    const socket = await openSocket({ url, connectTimeoutMs: 5_000 });
    await accepted;
    const caller = twilio.caller({
      wireFormat: FORMAT,
      replyFormat: FORMAT,
      parameters: {},
      connectionKey: "fake-time",
    });
    session = new Session(socket, {
      protocol: twilio,
      caller,
      wireFormat: FORMAT,
      scheduler: time,
      clock: time.clock,
      timing: { frameSendLag: (lagMs) => lagsMs.push(lagMs) },
    });
    session.start();
    await bot.caughtUp();
    assert.deepEqual(bot.received.map((entry) => entry.message.event), ["connected", "start"]);
    time.settle = () => bot.caughtUp();
  }

  test("frame k leaves at the call's start + k x 20 ms: silence, then the clip, with its onset and end frames where the VAD put them", async () => {
    await connect();
    try {
      await time.advanceTo(1_100); // six silent frames: 1000, 1020, ..., 1100
      const asset = toneAsset();
      const clip = framedClip(asset, FORMAT);
      const speaking = session.voice.speak(asset, { writeTimeoutMs: 5_000 });
      const lastFrameMs = 1_120 + (clip.frames.length - 1) * 20;
      await time.advanceTo(lastFrameMs + 40);
      const onsetMs = await speaking.onset;
      const spoken = await speaking.done;
      const frames = (lastFrameMs + 40 - 1_000) / 20 + 1;

      assert.ok(clip.onsetFrame > 5 && clip.endFrame > clip.onsetFrame, "the VAD found the tone");
      assert.equal(onsetMs, 1_120 + clip.onsetFrame * 20, "onset: the send time of the frame holding it");
      assert.equal(spoken.speechEndMs, 1_120 + clip.endFrame * 20, "end of speech: the frame holding it");
      assert.equal(spoken.endFrameNumber, 6 + clip.endFrame + 1, "frames count from the call's first");
      assert.equal(spoken.endLagMs, 0);

      const media = bot.media();
      assert.equal(media.length, frames, "one frame per 20 ms, none more, none less");
      const silence = Buffer.alloc(160, 0xff).toString("base64");
      for (const [index, message] of media.entries()) {
        const body = message.media as Record<string, string>;
        assert.equal(body.chunk, String(index + 1));
        assert.equal(body.timestamp, String(index * 20));
        const clipIndex = index - 6;
        const expected = clipIndex >= 0 && clipIndex < clip.frames.length
          ? Buffer.from(clip.frames[clipIndex]!).toString("base64")
          : silence;
        assert.equal(body.payload, expected, `frame ${index + 1}`);
      }
      const arrivals = bot.received.slice(2).map((entry) => entry.atMs);
      assert.deepEqual(arrivals.slice(0, 6), [1_000, 1_020, 1_040, 1_060, 1_080, 1_100]);
      assert.ok(lagsMs.every((lagMs) => lagMs === 0), "on time, every frame");
    } finally {
      session.voice.stop();
      await session.close();
    }
  });

  test("a stall makes frames late, reported as lag; the frames after it keep the call's grid", async () => {
    await connect();
    try {
      await time.advanceTo(1_100);
      time.jump(55); // the process stalls from 1100 to 1155: the 1120 and 1140 frames are due
      await time.advanceTo(1_200);
      assert.deepEqual(lagsMs, [0, 0, 0, 0, 0, 0, 35, 15, 0, 0, 0]);
      assert.deepEqual(
        bot.received.slice(2).map((entry) => entry.atMs),
        [1_000, 1_020, 1_040, 1_060, 1_080, 1_100, 1_155, 1_155, 1_160, 1_180, 1_200],
        "late frames leave at once, and the next one on its own deadline",
      );
      assert.equal(bot.media().length, 11, "no frame lost or added: (1200 - 1000) / 20 + 1");
    } finally {
      session.voice.stop();
      await session.close();
    }
  });

  test("a mark is answered when the audio before it has played on the caller's player, not when it arrives", async () => {
    await connect();
    try {
      session.voice.stop(); // no frames: only the mark's answer goes out
      const streamSid = (bot.received[1]!.message.start as Record<string, string>).streamSid!;
      const arrived = session.waitFor((event) => event.kind === "mark", session.cursor, Infinity);
      // 800 bytes of mu-law at 8 kHz: 100 ms of reply audio, then the mark.
      const payload = Buffer.alloc(800, 0xff).toString("base64");
      bot.socket!.send(encodeBotMessage({ event: "media", streamSid, payload }));
      bot.socket!.send(encodeBotMessage({ event: "mark", streamSid, name: "reply-1" }));
      const mark = await arrived;
      assert.equal(mark?.event.atMs, 1_000, "both arrived at fake time 1000");

      await time.advance(99);
      await bot.caughtUp();
      assert.equal(bot.received.filter((entry) => entry.message.event === "mark").length, 0, "not at 99 ms");

      await time.advance(1);
      assert.equal(bot.received.length, 3, "connected, start and the mark's answer");
      const answer = bot.received[2]!;
      assert.equal(answer.message.event, "mark");
      assert.deepEqual(answer.message.mark, { name: "reply-1" });
      assert.equal(answer.atMs, 1_100, "answered when the 100 ms of audio had played");
    } finally {
      await session.close();
    }
  });

  test("a wait for an event that never comes ends at its deadline on the session's clock", async () => {
    await connect();
    try {
      session.voice.stop();
      let settled: unknown = "pending";
      const waiting = session.waitFor((event) => event.kind === "stop", session.cursor, 1_000 + 5_000);
      void waiting.then((value) => (settled = value));
      await time.advance(4_999);
      assert.equal(settled, "pending");
      await time.advance(1);
      assert.equal(await waiting, undefined, "timed out at 6000 on the fake clock");
      assert.equal(time.pending, 0, "nothing left scheduled");
    } finally {
      await session.close();
    }
  });
});
