/**
 * A streaming caller's session on fake time over a real loopback socket
 * (test/helpers/fake-time-call.ts): which frame leaves when, how a stall shows as lag without
 * shifting the frames after it, when a Twilio mark is answered, and a wait that times out. No test
 * here sleeps: time moves when the test advances it.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { framedClip } from "../../src/session/voice.ts";
import { type FakeTimeCall, fakeTimeCalls, toneAsset, TWILIO_FORMAT } from "../helpers/fake-time-call.ts";

describe("a streaming caller on fake time, over a real socket", () => {
  let calls: Awaited<ReturnType<typeof fakeTimeCalls>>;
  before(async () => {
    calls = await fakeTimeCalls();
  });
  after(() => calls.close());

  /** Runs `check` on a new call at fake time 1000, and hangs up after. */
  async function onCall(check: (call: FakeTimeCall) => Promise<void>): Promise<void> {
    const call = await calls.call(1_000);
    try {
      assert.deepEqual(call.bot.received.map((entry) => entry.message.event), ["connected", "start"]);
      await check(call);
    } finally {
      await call.close();
    }
  }

  test("frame k leaves at the call's start + k x 20 ms: silence, then the clip, with its onset and end frames where the VAD put them", () =>
    onCall(async ({ time, bot, session, lagsMs }) => {
      await time.advanceTo(1_100); // six silent frames: 1000, 1020, ..., 1100
      const asset = toneAsset();
      const clip = framedClip(asset, TWILIO_FORMAT);
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
      assert.deepEqual(arrivals, Array.from({ length: frames }, (_, index) => 1_000 + index * 20));
      assert.ok(lagsMs.every((lagMs) => lagMs === 0), "on time, every frame");
    }));

  test("a stall makes frames late, reported as lag; the frames after it keep the call's grid", () =>
    onCall(async ({ time, bot, lagsMs }) => {
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
    }));

  test("a mark is answered when the audio before it has played on the caller's player, not when it arrives", () =>
    onCall(async ({ time, bot, session }) => {
      session.voice.stop(); // no frames: only the mark's answer goes out
      const arrived = session.waitFor((event) => event.kind === "mark", session.cursor, Infinity);
      bot.sendMedia(new Uint8Array(800).fill(0xff)); // 100 ms of mu-law at 8 kHz
      bot.sendMark("reply-1");
      const mark = await arrived;
      assert.equal(mark?.event.atMs, 1_000, "both arrived at fake time 1000");

      await time.advance(99);
      await bot.caughtUp();
      assert.equal(bot.received.length, 2, "no answer at 99 ms");

      await time.advance(1);
      assert.equal(bot.received.length, 3, "connected, start and the mark's answer");
      const answer = bot.received[2]!;
      assert.equal(answer.message.event, "mark");
      assert.deepEqual(answer.message.mark, { name: "reply-1" });
      assert.equal(answer.atMs, 1_100, "answered when the 100 ms of audio had played");
    }));

  test("a wait for an event that never comes ends at its deadline on the session's clock", () =>
    onCall(async ({ time, session }) => {
      session.voice.stop();
      let settled: unknown = "pending";
      const waiting = session.waitFor((event) => event.kind === "stop", session.cursor, 1_000 + 5_000);
      void waiting.then((value) => (settled = value));
      await time.advance(4_999);
      assert.equal(settled, "pending");
      await time.advance(1);
      assert.equal(await waiting, undefined, "timed out at 6000 on the fake clock");
      assert.equal(time.pending, 0, "nothing left scheduled");
    }));
});
