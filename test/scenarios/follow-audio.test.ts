/**
 * followAudio on fake time, over a Twilio call (test/helpers/fake-time-call.ts): a reply of many
 * chunks ends exactly one idle gap after its last chunk, with that chunk as its last audio, and a
 * reply still flowing at the deadline ends there, whatever the number of chunks per idle gap.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClip } from "../../src/audio/pcm.ts";
import { encodeForWire } from "../../src/audio/wire-format.ts";
import { type AudioFollowed, followAudio } from "../../src/scenarios/follow-audio.ts";
import { type FakeTimeCall, fakeTimeCalls, TWILIO_FORMAT } from "../helpers/fake-time-call.ts";
import { tone } from "../helpers/test-audio.ts";

const CHUNK = encodeForWire(createClip(tone(100, 200), 16_000), TWILIO_FORMAT).bytes;

/** Sends one reply chunk at `atMs` and waits until the session has logged it. */
async function chunkAt(call: FakeTimeCall, atMs: number): Promise<void> {
  await call.time.advanceTo(atMs);
  const cursor = call.session.cursor;
  call.bot.sendMedia(CHUNK);
  await call.session.waitFor((event) => event.kind === "audio", cursor, Infinity);
}

describe("followAudio on fake time", () => {
  let calls: Awaited<ReturnType<typeof fakeTimeCalls>>;
  before(async () => {
    calls = await fakeTimeCalls();
  });
  after(() => calls.close());

  test("a reply of 25 chunks ends one idle gap after the last, not before; the last chunk is its last audio", async () => {
    const call = await calls.call(1_000);
    try {
      const { time, session } = call;
      const fromCursor = session.cursor;
      let followed: AudioFollowed | undefined;
      void followAudio(session, {
        fromCursor,
        quietSinceMs: 1_000,
        idleMs: 300,
        deadlineMs: 60_000,
        until: (event) => event.kind === "done",
      }).then((result) => (followed = result));
      // A chunk every 100 ms from 1200 to 3600: the idle gap (300 ms) never passes between two.
      for (let atMs = 1_200; atMs <= 3_600; atMs += 100) await chunkAt(call, atMs);
      const lastCursor = session.cursor - 1;
      await time.advanceTo(3_899);
      assert.equal(followed, undefined, "299 ms after the last chunk the reply goes on");
      await time.advanceTo(3_900);
      assert.deepEqual(followed, {
        end: "idle",
        lastAudio: { atMs: 3_600, cursor: lastCursor },
        cursor: lastCursor + 1,
      });
    } finally {
      await call.close();
    }
  });

  test("audio still flowing at the deadline: the follow ends at the deadline with the last chunk before it", async () => {
    const call = await calls.call(1_000);
    try {
      const { time, session } = call;
      let followed: AudioFollowed | undefined;
      void followAudio(session, {
        fromCursor: session.cursor,
        quietSinceMs: 1_000,
        idleMs: 300,
        deadlineMs: 2_050,
        until: (event) => event.kind === "done",
      }).then((result) => (followed = result));
      for (let atMs = 1_200; atMs <= 2_000; atMs += 100) await chunkAt(call, atMs);
      const lastCursor = session.cursor - 1;
      await time.advanceTo(2_049);
      assert.equal(followed, undefined);
      await time.advanceTo(2_050);
      assert.deepEqual(followed, { end: "deadline", lastAudio: { atMs: 2_000, cursor: lastCursor } });
    } finally {
      await call.close();
    }
  });
});
