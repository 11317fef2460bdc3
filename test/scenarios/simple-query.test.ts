/**
 * The turn API on fake time: a simple query over a Twilio call (test/helpers/fake-time-call.ts),
 * the bot's reply sent at chosen fake times. ttft_ms, total_ms and heard_ms are exact differences
 * of the fake clock, the idle gap that ends a reply is never counted, and a bot that never answers
 * times out at the scenario's timeout, all without waiting in real time.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createLibrary } from "../../src/audio/library.ts";
import { createClip } from "../../src/audio/pcm.ts";
import { encodeForWire } from "../../src/audio/wire-format.ts";
import { createRandom } from "../../src/common/random.ts";
import { TurnFailure } from "../../src/metrics/outcomes.ts";
import { emptyTurnRecord } from "../../src/metrics/turn-record.ts";
import { simpleQuery } from "../../src/scenarios/simple-query.ts";
import { TurnContext, type TurnSettings } from "../../src/scenarios/turn-context.ts";
import { framedClip } from "../../src/session/voice.ts";
import { type FakeTimeCall, fakeTimeCalls, toneAsset, TWILIO_FORMAT } from "../helpers/fake-time-call.ts";
import { tone } from "../helpers/test-audio.ts";

const SETTINGS: TurnSettings = { timeoutMs: 30_000, idleMs: 1_000, maxGapMs: 80, replyEnd: "auto" };

/** 100 ms of the bot's voice in mu-law at 8 kHz: `speech` a tone, else silence. */
function replyChunk(speech: boolean): Uint8Array {
  const samples = speech ? tone(100, 200) : new Int16Array(1_600);
  return encodeForWire(createClip(samples, 16_000), TWILIO_FORMAT).bytes;
}

function turnOn(call: FakeTimeCall): TurnContext {
  const asset = toneAsset("query");
  return new TurnContext({
    session: call.session,
    record: emptyTurnRecord({
      run_id: "fake-time",
      client_id: 0,
      turn_index: 0,
      scenario: "simple_query",
      started_at: new Date(0).toISOString(),
    }),
    random: createRandom(1),
    library: createLibrary("one tone", [asset]),
    settings: SETTINGS,
    timing: { speechSendLag: () => {}, sendOverhead: () => {} },
    clock: call.time.clock,
    scheduler: call.time,
  });
}

describe("a simple query on fake time", () => {
  let calls: Awaited<ReturnType<typeof fakeTimeCalls>>;
  before(async () => {
    calls = await fakeTimeCalls();
  });
  after(() => calls.close());

  test("ttft, total and heard are differences of the fake clock; the idle gap that ends the reply is not counted", async () => {
    const call = await calls.call(1_000);
    try {
      const { time, bot, session } = call;
      const turn = turnOn(call);
      const running = simpleQuery.run(turn);
      // The query's frames go out from 1000, one every 20 ms; its end of speech is the frame holding the tone's end.
      const clip = framedClip(toneAsset("query"), TWILIO_FORMAT);
      const speechEndMs = 1_000 + clip.endFrame * 20;
      const audioAt = async (atMs: number, chunk: Uint8Array): Promise<void> => {
        await time.advanceTo(atMs);
        const cursor = session.cursor;
        bot.sendMedia(chunk);
        await session.waitFor((event) => event.kind === "audio", cursor, Infinity);
      };
      // 300 ms after the end of speech: 100 ms of silence, then 200 ms of speech, chunk after chunk.
      await audioAt(speechEndMs + 300, replyChunk(false));
      await audioAt(speechEndMs + 400, replyChunk(true));
      await audioAt(speechEndMs + 500, replyChunk(true));
      await time.advance(999);
      let finished = false;
      void running.then(() => (finished = true));
      await time.advance(0);
      assert.equal(finished, false, "999 ms of silence does not end the reply");
      await time.advance(1);
      await running;

      const record = turn.record;
      assert.equal(record.ttft_ms, 300, "end of speech -> first reply audio");
      assert.equal(record.total_ms, 500, "end of speech -> last reply audio, the idle gap not counted");
      assert.equal(record.heard_ms, 400, "the first speech is heard once the 100 ms of silence has played");
      assert.equal(record.reply_audio_ms, 300);
      assert.equal(record.underrun_ms, 0, "each chunk arrived as the one before finished playing");
    } finally {
      await call.close();
    }
  });

  test("a bot that never answers: timeout_first_audio exactly at the scenario's timeout after the end of speech", async () => {
    const call = await calls.call(1_000);
    try {
      const { time } = call;
      const turn = turnOn(call);
      const ended: { error?: unknown } = {};
      const running = simpleQuery.run(turn).catch((error: unknown) => (ended.error = error));
      const speechEndMs = 1_000 + framedClip(toneAsset("query"), TWILIO_FORMAT).endFrame * 20;
      await time.advanceTo(speechEndMs + SETTINGS.timeoutMs - 1);
      assert.ok(ended.error === undefined, "still waiting 1 ms before the timeout");
      await time.advanceTo(speechEndMs + SETTINGS.timeoutMs);
      await running;
      const failure: unknown = ended.error as unknown;
      assert.ok(failure instanceof TurnFailure, `failed with ${String(failure)}`);
      assert.equal(failure.outcome, "timeout_first_audio");
    } finally {
      await call.close();
    }
  });
});
