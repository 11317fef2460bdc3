import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AudioAsset } from "../../src/audio/asset.ts";
import { createLibrary } from "../../src/audio/library.ts";
import { createClip } from "../../src/audio/pcm.ts";
import { decodeWav } from "../../src/audio/wav-decode.ts";
import { monotonicNowMs } from "../../src/common/clock.ts";
import { run } from "../../src/load/runner.ts";
import { fromBase64 } from "../../src/protocols/base64.ts";
import { defineScenario } from "../../src/scenarios/define.ts";
import { scriptedServer } from "../helpers/scripted-server.ts";
import { tone } from "../helpers/test-audio.ts";

/** A 1,010 ms query: 51 frames of 20 ms (1,020 ms), or 11 frames of 100 ms (1,100 ms). */
const QUERY_MS = 1010;

function library() {
  const asset = (name: string, role: "query" | "bot", ms: number) =>
    new AudioAsset({ name, role, clip: createClip(tone(ms), 16000) });
  return createLibrary("frames", [
    asset("query_1010ms.wav", "query", QUERY_MS),
    asset("bot_tone.wav", "bot", 300),
  ]);
}

/**
 * Runs two query turns against a server that records what speech_end carried and when it came.
 * The scenario is the simple query's two calls, also keeping the caller's own send stamps.
 */
async function speakWith(frameMs: number | undefined) {
  const utterances: { samples: number; sampleRateHz: number; gapMs: number }[] = [];
  const callerGapsMs: number[] = [];
  const framedQuery = defineScenario({
    name: "framed_query",
    description: "the simple query, keeping the caller's send stamps",
    roles: ["query"],
    timeoutS: 30,
    async run(turn) {
      const utterance = await turn.speak(turn.pick("query"));
      callerGapsMs.push(utterance.speechEndMs - utterance.speechStartMs);
      turn.recordMeasuredReply(await turn.measureReply(utterance));
    },
  });
  let speechStartAtMs = 0;
  const server = await scriptedServer((connection, message) => {
    if (message.type === "speech_start") speechStartAtMs = monotonicNowMs();
    if (message.type !== "speech_end") return;
    const gapMs = monotonicNowMs() - speechStartAtMs;
    const { clip } = decodeWav(fromBase64(String(message.audio))!, "speech_end");
    utterances.push({ samples: clip.samples.length, sampleRateHz: clip.sampleRateHz, gapMs });
    void connection.stream(2).done.then(() => connection.send({ event: "response_done" }));
  });
  try {
    const result = await run({
      server: server.url,
      concurrency: 1,
      requests: 2,
      seed: 3,
      weights: { simple: 0, tools: 0, interruptions: 0, falseAlarms: 0 },
      scenarios: [{ scenario: framedQuery, weight: 1 }],
      thinkTimeS: { min: 0, max: 0 },
      audioLibrary: library(),
      wireFormat: { encoding: "pcm16", sampleRateHz: 16000, ...(frameMs === undefined ? {} : { frameMs }) },
    });
    assert.deepEqual(result.turns.map((turn) => turn.outcome), ["ok", "ok"]);
    return { utterances, callerGapsMs, config: result.config };
  } finally {
    await server.close();
  }
}

describe("microphone frames (--frame-ms)", () => {
  for (const [frameMs, framedMs] of [[undefined, 1020], [20, 1020], [100, 1100]] as const) {
    test(`${frameMs ?? "default (20)"} ms frames: speech_end carries whole frames and leaves ${framedMs} ms after speech_start`, async () => {
      const { utterances, callerGapsMs, config } = await speakWith(frameMs);
      assert.equal(utterances.length, 2);
      assert.equal(callerGapsMs.length, 2);
      // On the caller's clock speech_end can never leave before the last frame is captured (that
      // tells 1,020 from the unframed 1,010 exactly); it may leave late on a busy machine.
      for (const gapMs of callerGapsMs) {
        assert.ok(
          gapMs >= framedMs && gapMs < framedMs + 40,
          `speech_end left ${gapMs.toFixed(1)} ms after speech_start, expected ${framedMs}`,
        );
      }
      // On the server the gap is between two arrivals, so either message's transit moves it (seen:
      // a speech_start 6 ms late on a busy CI machine); this still tells 1,020 from 1,100.
      for (const utterance of utterances) {
        assert.equal(utterance.sampleRateHz, 16000);
        assert.equal(utterance.samples, (framedMs * 16000) / 1000);
        assert.ok(
          utterance.gapMs > framedMs - 20 && utterance.gapMs < framedMs + 40,
          `speech_end came ${utterance.gapMs.toFixed(1)} ms after speech_start, expected ${framedMs}`,
        );
      }
      assert.equal(config.wireFormat.frameMs, frameMs ?? 20);
    });
  }

  test("a frame length that is not whole samples at the rate is a usage error naming --frame-ms", async () => {
    await assert.rejects(
      run({
        server: "ws://127.0.0.1:9/ws",
        audioLibrary: library(),
        wireFormat: { encoding: "mulaw", sampleRateHz: 8000, frameMs: 0.1 },
      }),
      /--frame-ms: a 0\.1 ms frame is not a whole number of samples at 8000 Hz/,
    );
  });
});
