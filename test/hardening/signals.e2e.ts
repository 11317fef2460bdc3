/**
 * One stop per user action, whatever the delivery path: GNU timeout (child, then group), a
 * terminal (group) plus a direct kill, npm/npx in between; a deliberate second Ctrl-C quits.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import { type BotFixture, REPO_ROOT, runtimeCommand, startBotProcess, startCli } from "../helpers/cli.ts";

const CLI = join(REPO_ROOT, "src/cli.ts");
const LONG_RUN = [
  "--concurrency",
  "3",
  "--requests",
  "50",
  "--think-time",
  "0",
  "--simple",
  "1",
  "--tools",
  "0",
  "--interruptions",
  "0",
  "--false-alarms",
  "0",
];

let bot: BotFixture;
before(async () => {
  bot = await startBotProcess("signals", ["--reply-delay-ms", "100", "--pace", "4", "--done-event"]);
});
after(() => bot.close());

interface Summary {
  interrupted: boolean;
  turnCounts: { planned: number; started: number; completed: number };
  summary: { turns: number };
}

async function readSummary(path: string): Promise<Summary> {
  return JSON.parse(await readFile(path, "utf8")) as Summary;
}

/** Resolves once `path` exists (polling), or rejects after `limitMs`. */
async function appears(path: string, limitMs: number): Promise<void> {
  const startMs = performance.now();
  for (;;) {
    try {
      await stat(path);
      return;
    } catch {
      if (performance.now() - startMs > limitMs) {
        throw new Error(`${path} did not appear within ${limitMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe("stop signals", () => {
  test("GNU timeout -s INT (the child, then its group) is one stop: report, exports, exit 130", async () => {
    const runId = "under-timeout";
    const [command, ...prefix] = runtimeCommand(CLI);
    const child = spawn("timeout", [
      "--preserve-status",
      "-s",
      "INT",
      "5",
      command!,
      ...prefix,
      "--server",
      bot.url,
      ...LONG_RUN,
      "--export-dir",
      bot.dir,
      "--run-id",
      runId,
    ], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) =>
      child.on("close", (exitCode) => resolve(exitCode))
    );
    assert.equal(code, 130, stderr);
    assert.equal(stderr.match(/voxbench: stopping/g)?.length, 1, stderr);
    assert.match(stdout, /LOAD TEST PERFORMANCE REPORT/);
    const summary = await readSummary(join(bot.dir, runId, "summary.json"));
    assert.equal(summary.interrupted, true);
    assert.equal(summary.turnCounts.planned, 150);
    assert.equal(summary.turnCounts.started, summary.summary.turns);
  });

  test("the same Ctrl-C delivered directly and to the group is one stop", async () => {
    const runId = "group-and-direct";
    const cli = startCli(["--server", bot.url, ...LONG_RUN, "--export-dir", bot.dir, "--run-id", runId], {
      detached: true,
    });
    await cli.waitFor(/voxbench: starting callers/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    cli.signal("SIGINT");
    cli.signalGroup("SIGINT");
    const result = await cli.done;
    assert.equal(result.code, 130, result.stderr);
    assert.equal(result.stderr.match(/voxbench: stopping/g)?.length, 1, result.stderr);
    assert.match(result.stdout, /PARTIAL RESULTS/);
    assert.equal((await readSummary(join(bot.dir, runId, "summary.json"))).interrupted, true);
  });

  test("a second Ctrl-C more than a second after the first quits at once", async () => {
    // A bot that stops reading once the question is in: the caller's close handshake then waits
    // (up to 2 s), so the first stop is still finishing when the second Ctrl-C comes.
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    let questionIn: () => void = () => {};
    const asked = new Promise<void>((resolve) => (questionIn = resolve));
    wss.on("connection", (ws) => {
      ws.send(JSON.stringify({ event: "connected", session_id: "deaf-after-question" }));
      ws.on("message", (data) => {
        if (!String(data).includes("speech_end")) return;
        (ws as unknown as { _socket: Socket })._socket.pause();
        questionIn();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    try {
      const url = `ws://127.0.0.1:${(http.address() as { port: number }).port}/ws`;
      const cli = startCli([
        "--server",
        url,
        "--concurrency",
        "1",
        "--requests",
        "3",
        "--simple",
        "1",
        "--tools",
        "0",
        "--interruptions",
        "0",
        "--false-alarms",
        "0",
        "--no-export",
      ]);
      await asked;
      cli.signal("SIGINT");
      await cli.waitFor(/voxbench: stopping/);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const secondAtMs = performance.now();
      cli.signal("SIGINT");
      const result = await cli.done;
      assert.equal(result.code, 130);
      assert.ok(
        performance.now() - secondAtMs < 700,
        `quitting took ${(performance.now() - secondAtMs).toFixed(0)} ms`,
      );
      assert.doesNotMatch(
        result.stdout,
        /LOAD TEST PERFORMANCE REPORT/,
        "the second Ctrl-C quits without the report",
      );
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });

  test("under npm (as npx runs it): SIGTERM to npm stops the run, which still writes its results", async () => {
    const runId = "under-npm";
    const command = [
      ...runtimeCommand(CLI),
      "--server",
      bot.url,
      ...LONG_RUN,
      "--export-dir",
      bot.dir,
      "--run-id",
      runId,
      "--quiet",
    ];
    const quoted = command.map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(" ");
    const health = bot.url.replace("ws://", "http://").replace(/\/ws$/, "/health");
    const turnsStarted = async (): Promise<number> =>
      ((await (await fetch(health)).json()) as { turns_started?: number }).turns_started ?? 0;
    const turnsBefore = await turnsStarted();
    // npm exec -c runs `sh -c <command>`, the same chain as npx: npm -> sh -> voxbench.
    const npm = spawn("npm", ["exec", "--yes", "-c", quoted], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: "ignore",
    });
    // SIGTERM once this run's callers are talking to the bot (npm and the CLI take seconds to start);
    // the bot is shared by the tests above, so its count must grow past what they left.
    const startedMs = performance.now();
    for (;;) {
      if ((await turnsStarted()) > turnsBefore) break;
      if (performance.now() - startedMs > 30_000) {
        throw new Error("the run under npm started no turn in 30 s");
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    npm.kill("SIGTERM");
    const summaryPath = join(bot.dir, runId, "summary.json");
    await appears(summaryPath, 15_000);
    const summary = await readSummary(summaryPath);
    assert.equal(summary.interrupted, true);
    assert.ok(summary.summary.turns < 150);
  });
});
