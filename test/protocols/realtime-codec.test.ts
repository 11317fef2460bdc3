/**
 * OpenAI Realtime without sockets: reading sessions (GA and beta shapes), the caller side's
 * decoding of response.done, and what it answers (truncation from its player, tool outputs), on
 * made-up event times.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { CallerSide, SessionEvent, SessionEventBody } from "../../src/protocols/adapter.ts";
import { realtimeCaller } from "../../src/protocols/openai-realtime/caller.ts";
import { defaultSession, sessionShape } from "../../src/protocols/openai-realtime/codec.ts";
import { openaiRealtime } from "../../src/protocols/openai-realtime/protocol.ts";

const utf8 = new TextEncoder();
const FORMAT = { encoding: "pcm16" as const, sampleRateHz: 24000, frameMs: 20 };

function caller(api: "ga" | "beta" = "ga", toolResultMs = 0): CallerSide {
  return realtimeCaller(
    {
      api,
      session: defaultSession(api),
      turnDetection: { mode: "server", silenceMs: 500, createResponse: true, interruptResponse: true },
    },
    { wireFormat: FORMAT, replyFormat: FORMAT, parameters: {}, connectionKey: "k", toolResultMs },
  );
}

/** Decodes `event` at `atMs` and returns the stamped events with what the caller answers to each. */
function feed(
  side: CallerSide,
  event: Record<string, unknown>,
  atMs: number,
): { events: SessionEventBody[]; answers: { afterMs: number; frames: unknown[] }[] } {
  const events = side.decode(utf8.encode(JSON.stringify(event)), false);
  const answers = events.flatMap((body) => side.answer?.({ ...body, atMs } as SessionEvent) ?? []).map((
    answer,
  ) => ({ afterMs: answer.afterMs, frames: answer.frames.map((frame) => JSON.parse(String(frame))) }));
  return { events, answers };
}

/** 100 ms of PCM16 at 24 kHz, base64. */
const DELTA_100_MS = Buffer.alloc(4800).toString("base64");

describe("Realtime sessions", () => {
  test("GA and beta shapes give the same formats and turn detection; bad fields are one-line problems", () => {
    assert.deepEqual(sessionShape(defaultSession("ga")), sessionShape(defaultSession("beta")));
    const ga = sessionShape({
      audio: {
        input: {
          format: { type: "audio/pcma" },
          turn_detection: { type: "server_vad", silence_duration_ms: 300, interrupt_response: false },
        },
      },
    });
    assert.deepEqual(ga, {
      input: { encoding: "alaw", sampleRateHz: 8000 },
      output: undefined,
      turnDetection: { mode: "server", silenceMs: 300, createResponse: true, interruptResponse: false },
    });
    assert.deepEqual(sessionShape({ input_audio_format: "g711_ulaw", turn_detection: null }), {
      input: { encoding: "mulaw", sampleRateHz: 8000 },
      output: undefined,
      turnDetection: { mode: "manual" },
    });
    assert.match(
      String(sessionShape({ audio: { input: { format: { type: "audio/pcm", rate: 16000 } } } })),
      /24000 Hz only/,
    );
    assert.match(
      String(sessionShape({ turn_detection: { silence_duration_ms: -1 } })),
      /silence_duration_ms must be a number above 0/,
    );
    assert.throws(
      () => openaiRealtime({ session: { output_audio_format: "mp3" } }),
      /--realtime-session: output format: unknown audio format "mp3"/,
    );
  });

  test("the adapter follows the session: G.711 in at 8 kHz, the beta header only for beta", () => {
    const adapter = openaiRealtime({
      api: "beta",
      session: { input_audio_format: "g711_alaw", output_audio_format: "g711_ulaw" },
    });
    assert.deepEqual(adapter.callerFormat({ encoding: "pcm16", sampleRateHz: 16000, frameMs: 40 }), {
      encoding: "alaw",
      sampleRateHz: 8000,
      frameMs: 40,
    });
    assert.deepEqual(adapter.replyFormat({ encoding: "pcm16", sampleRateHz: 16000 }), {
      encoding: "mulaw",
      sampleRateHz: 8000,
    });
    assert.deepEqual(adapter.handshakeHeaders, { "OpenAI-Beta": "realtime=v1" });
    assert.equal(openaiRealtime().handshakeHeaders, undefined);
  });
});

describe("Realtime caller side", () => {
  test("a cancelled response is a stop, and the caller truncates the item to what its player played", () => {
    const side = caller();
    feed(side, { type: "response.created", response: { id: "r1" } }, 0);
    // 1 s of audio in ten deltas received within 100 ms: the player is far behind what arrived.
    for (let i = 0; i < 10; i++) {
      feed(side, {
        type: "response.output_audio.delta",
        response_id: "r1",
        item_id: "item_1",
        delta: DELTA_100_MS,
      }, 1000 + i * 10);
    }
    const cancelled = feed(side, {
      type: "response.done",
      response: {
        id: "r1",
        status: "cancelled",
        status_details: { type: "cancelled", reason: "turn_detected" },
        usage: { input_tokens: 5, output_tokens: 9 },
      },
    }, 1400);
    assert.deepEqual(cancelled.events.map((event) => event.kind), ["response_status", "stop"]);
    assert.deepEqual(cancelled.events[0], {
      kind: "response_status",
      status: "cancelled",
      reason: "turn_detected",
      inputTokens: 5,
      outputTokens: 9,
    });
    assert.deepEqual(cancelled.answers, [{
      afterMs: 0,
      frames: [{
        type: "conversation.item.truncate",
        item_id: "item_1",
        content_index: 0,
        audio_end_ms: 400,
      }],
    }]);
    // The next response after a cancelled one starts a new reply.
    assert.deepEqual(feed(side, { type: "response.created", response: { id: "r2" } }, 1500).events, [{
      kind: "reset",
    }]);
  });

  test("a fully played item is not truncated", () => {
    const side = caller();
    feed(side, { type: "response.output_audio.delta", item_id: "item_1", delta: DELTA_100_MS }, 0);
    assert.deepEqual(
      feed(side, { type: "response.done", response: { status: "cancelled" } }, 500).answers,
      [],
    );
  });

  test("a function call: no end of reply, the output after toolResultMs, then tool_result at the next response's first audio", () => {
    const side = caller("ga", 250);
    const call = feed(side, {
      type: "response.function_call_arguments.done",
      call_id: "call_1",
      name: "lookup",
      arguments: "{}",
    }, 100);
    assert.deepEqual(call.events, [{ kind: "tool_call", name: "lookup", callId: "call_1" }]);
    assert.equal(call.answers.length, 1);
    assert.equal(call.answers[0]!.afterMs, 250);
    assert.deepEqual(call.answers[0]!.frames, [{
      type: "conversation.item.create",
      item: { type: "function_call_output", call_id: "call_1", output: '{"ok":true}' },
    }, { type: "response.create" }]);
    const done = feed(side, {
      type: "response.done",
      response: { status: "completed", output: [{ type: "function_call", call_id: "call_1" }] },
    }, 110);
    assert.deepEqual(
      done.events.map((event) => event.kind),
      ["response_status"],
      "a response that only called a function is not the reply's end",
    );
    const audio = feed(
      side,
      { type: "response.output_audio.delta", item_id: "item_2", delta: DELTA_100_MS },
      900,
    );
    assert.deepEqual(audio.events.map((event) => event.kind), ["tool_result", "audio"]);
    assert.deepEqual(
      feed(
        side,
        { type: "response.done", response: { status: "completed", output: [{ type: "message" }] } },
        1000,
      ).events.map((event) => event.kind),
      ["response_status", "done"],
    );
  });

  test("errors and failed responses carry their code; the other dialect's audio names the flag", () => {
    const side = caller();
    assert.deepEqual(
      feed(side, {
        type: "error",
        error: { type: "invalid_request_error", code: "rate_limit_exceeded", message: "slow down" },
      }, 0).events,
      [{ kind: "server_error", message: "rate_limit_exceeded: slow down" }],
    );
    const failed = feed(side, {
      type: "response.done",
      response: {
        status: "failed",
        status_details: { type: "failed", error: { code: "server_error", message: "boom" } },
      },
    }, 0).events;
    assert.deepEqual(failed.at(-1), { kind: "server_error", message: "response failed: server_error: boom" });
    const beta = feed(side, { type: "response.audio.delta", delta: DELTA_100_MS }, 0).events[0];
    assert.equal(beta?.kind, "protocol_error");
    assert.match(
      beta?.kind === "protocol_error" ? beta.message : "",
      /beta `response\.audio\.delta` to a GA client: use --realtime-api beta/,
    );
    const ga =
      feed(caller("beta"), { type: "response.output_audio.delta", delta: DELTA_100_MS }, 0).events[0];
    assert.match(ga?.kind === "protocol_error" ? ga.message : "", /use --realtime-api ga/);
    assert.deepEqual(feed(side, { type: "some.new_event" }, 0).events, [{
      kind: "unknown",
      name: "some.new_event",
    }]);
  });

  test("manual turns: commit and response.create at the end of speech, a cancel at the onset over a response; never for a noise", () => {
    const manual = realtimeCaller({ api: "ga", session: {}, turnDetection: { mode: "manual" } }, {
      wireFormat: FORMAT,
      replyFormat: FORMAT,
      parameters: {},
      connectionKey: "k",
    });
    const types = (frames: unknown[]): string[] =>
      frames.map((frame) => (JSON.parse(String(frame)) as { type: string }).type);
    assert.deepEqual(types(manual.endOfSpeech!("query")), ["input_audio_buffer.commit", "response.create"]);
    assert.deepEqual(manual.endOfSpeech!("noise"), []);
    assert.deepEqual(manual.startOfSpeech!("interrupt"), [], "nothing to cancel");
    feed(manual, { type: "response.created", response: { id: "r1" } }, 0);
    assert.deepEqual(types(manual.startOfSpeech!("interrupt")), ["response.cancel"]);
    assert.deepEqual(manual.startOfSpeech!("noise"), []);
    assert.deepEqual(caller().endOfSpeech!("query"), [], "server VAD: the bot ends the turn");
  });
});
