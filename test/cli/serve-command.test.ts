import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, startCli } from "../helpers/cli.ts";
import { BotClient, fixture } from "../helpers/bot-client.ts";

describe("voxbench serve", () => {
  test("prints the ready line, serves, and on SIGINT closes clients and flushes the turn log", async () => {
    const dir = await mkdtemp(join(tmpdir(), "voxbench-serve-cli-"));
    const logPath = join(dir, "turns.jsonl");
    const cli = startCli([
      "serve",
      "--port",
      "0",
      "--reply-delay-ms",
      "40",
      "--done-event",
      "--log-turns",
      logPath,
    ]);
    try {
      const ready = await cli.waitFor(/Server ready on port (\d+)/);
      const port = Number(/(\d+)/.exec(ready)![1]);
      const client = await BotClient.connect(`ws://127.0.0.1:${port}/ws`);
      client.speak(fixture("query_01_balance.wav"));
      await client.nextEvent("play_audio");
      cli.signal("SIGINT");
      const result = await cli.done;
      assert.equal(result.code, 0);
      await client.closed();
      assert.equal(client.closeCode, 1001);
      const lines = (await readFile(logPath, "utf8")).trim().split("\n");
      assert.equal(lines.length, 1);
      assert.equal((JSON.parse(lines[0]!) as { end: string }).end, "server_closed");
    } finally {
      cli.child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("SIGTERM stops it too", async () => {
    const cli = startCli(["serve", "--port", "0"]);
    await cli.waitFor(/Server ready on port \d+/);
    cli.signal("SIGTERM");
    assert.equal((await cli.done).code, 0);
  });

  test("a port in use is one line and exit 2", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(["serve", "--port", String(port)]);
      assert.equal(result.code, 2);
      assert.equal(
        result.stderr.trim(),
        `voxbench: port ${port} on 127.0.0.1 is already in use (use --port 0 for a free one)`,
      );
    } finally {
      blocker.close();
    }
  });

  test("bad flags are one line and exit 2", async () => {
    for (
      const args of [
        ["serve", "--port", "70000"],
        ["serve", "--llm-ttft-ms", "900,300"],
        ["serve", "--faults", "close,explode"],
        ["serve", "--fault-rate", "2"],
        ["serve", "--pace", "0"],
        ["serve", "--reply-encoding", "mulaw", "--reply-sample-rate", "16000"],
        ["serve", "--audio-dir", "/nonexistent"],
        ["serve", "--bogus"],
      ]
    ) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, /^voxbench: /);
    }
  });
});
