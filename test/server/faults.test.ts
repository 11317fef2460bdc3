import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "../../src/server/server.ts";
import { type FaultKind, handshakeDelayMs, turnFault } from "../../src/server/faults.ts";
import type { TurnLogRecord } from "../../src/server/turn-log.ts";
import { BotClient, fixture, shortReplyVoice, sleep } from "../helpers/bot-client.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "voxbench-faults-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function only(kind: FaultKind, extra: { slowHandshakeMs?: number; dropChunkPercent?: number } = {}) {
  return {
    rate: 1,
    kinds: [kind],
    slowHandshakeMs: extra.slowHandshakeMs ?? 2000,
    dropChunkPercent: extra.dropChunkPercent ?? 30,
  };
}

async function faultyTurn(
  kind: FaultKind,
  body: (client: BotClient) => Promise<void>,
  extra = {},
): Promise<TurnLogRecord[]> {
  const logPath = join(dir, `${kind}-${Math.random()}.jsonl`);
  const server = await serve({
    port: 0,
    replyDelayMs: 30,
    doneEvent: true,
    replyAudio: shortReplyVoice(1000),
    logTurnsPath: logPath,
    faults: only(kind, extra),
  });
  try {
    const client = await BotClient.connect(server.url);
    await client.nextEvent("connected");
    client.speak(fixture("query_01_balance.wav"));
    await body(client);
    await client.close();
  } finally {
    await server.close();
  }
  return (await readFile(logPath, "utf8")).trim().split("\n").filter(Boolean).map((line) =>
    JSON.parse(line) as TurnLogRecord
  );
}

describe("fault injection", () => {
  test("close mid-reply: some audio, then close code 1011 with a reason", async () => {
    const records = await faultyTurn("close", async (client) => {
      await client.closed();
      assert.equal(client.closeCode, 1011);
      assert.match(client.closeReason, /injected fault: close mid-reply/);
      assert.equal(client.events("play_audio").length, 5);
    });
    assert.equal(records[0]!.fault, "close");
    assert.equal(records[0]!.end, "closed");
  });

  test("malformed JSON mid-reply, and the reply goes on", async () => {
    await faultyTurn("malformed", async (client) => {
      await client.nextEvent("response_done");
      const broken = client.frames.filter((frame) => frame.json === undefined);
      assert.equal(broken.length, 1);
      assert.equal(client.events("play_audio").length, 10);
    });
  });

  test("no reply: nothing comes back, and the turn is logged as no_reply", async () => {
    const records = await faultyTurn("no-reply", async (client) => {
      await sleep(500);
      assert.deepEqual(client.frames.map((frame) => frame.json?.event), ["connected"]);
    });
    assert.equal(records[0]!.end, "no_reply");
    assert.equal(records[0]!.first_chunk_sent_ms, null);
  });

  test("error event instead of a reply", async () => {
    const records = await faultyTurn("error", async (client) => {
      const error = await client.nextEvent("error");
      assert.match(String(error.json?.message), /injected fault/);
      await sleep(200);
      assert.equal(client.events("play_audio").length, 0);
    });
    assert.equal(records[0]!.end, "error_event");
  });

  test("dropped chunks: fewer arrive; the log counts them", async () => {
    const records = await faultyTurn(
      "drop-chunks",
      async (client) => {
        await client.nextEvent("response_done");
        const received = client.events("play_audio").length;
        assert.ok(received < 10 && received >= 1, `${received} of 10 chunks arrived`);
      },
      { dropChunkPercent: 60 },
    );
    assert.ok(records[0]!.chunks_dropped > 0);
    assert.equal(records[0]!.chunks_sent + records[0]!.chunks_dropped, 10);
  });

  test("slow handshake delays the WebSocket open", async () => {
    const server = await serve({
      port: 0,
      replyDelayMs: 10,
      faults: only("slow-handshake", { slowHandshakeMs: 300 }),
    });
    try {
      const client = await BotClient.connect(server.url);
      assert.ok(client.openedAtMs >= 295, `opened after ${client.openedAtMs} ms`);
      await client.close();
    } finally {
      await server.close();
    }
  });

  test("fault choice is a pure function of seed, connection and turn; the rate holds", () => {
    const options = {
      rate: 0.3,
      kinds: ["close", "error", "no-reply"] as FaultKind[],
      slowHandshakeMs: 100,
      dropChunkPercent: 30,
    };
    const pick = (seed: number) =>
      Array.from({ length: 2000 }, (_, turn) => turnFault(options, seed, turn % 40, Math.floor(turn / 40)));
    assert.deepEqual(pick(5), pick(5));
    assert.notDeepEqual(pick(5), pick(6));
    const faulty = pick(5).filter((fault) => fault !== undefined).length;
    assert.ok(faulty > 500 && faulty < 700, `${faulty} of 2000`);
    assert.ok(pick(5).every((fault) => fault === undefined || options.kinds.includes(fault)));
    const slow = Array.from(
      { length: 1000 },
      (_, connection) => handshakeDelayMs({ ...options, kinds: ["slow-handshake"] }, 5, connection),
    );
    const slowCount = slow.filter((delay) => delay === 100).length;
    assert.ok(slowCount > 240 && slowCount < 360, `${slowCount} of 1000`);
    assert.equal(turnFault({ ...options, rate: 0 }, 5, 0, 0), undefined);
  });
});
