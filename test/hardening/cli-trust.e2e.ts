/**
 * The CLI as a pipeline sees it: secrets never printed (whatever the bot echoes, whatever the usage
 * error), bad values refused in one line before anything starts, Ctrl-C during a connect quick,
 * and planned / started / completed reported.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createTcpServer, type Socket } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { runCli, startCli } from "../helpers/cli.ts";

const SECRET = "s3cr+t/Tok=en 42";
const QUERY_SECRET = "q&p=w@rd#1";
const SIMPLE = ["--simple", "1", "--tools", "0", "--interruptions", "0", "--false-alarms", "0"];

/** Every form of a secret that must never be shown. */
function encodings(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    encodeURIComponent(secret).toLowerCase(),
    encodeURIComponent(secret).replaceAll("%20", "+"),
    Buffer.from(secret).toString("base64"),
    Buffer.from(secret).toString("base64url"),
    JSON.stringify(secret).slice(1, -1),
  ];
}

function assertNoSecret(text: string, where: string): void {
  for (const secret of [SECRET, QUERY_SECRET]) {
    for (const form of encodings(secret)) {
      assert.ok(!text.includes(form), `${where} shows ${JSON.stringify(form)}:\n${text.slice(0, 2000)}`);
    }
  }
}

describe("secrets in what the CLI prints and writes", () => {
  test("a bot echoing the credentials back, in several encodings, in its errors, session id and close reason", async () => {
    const http = createHttpServer();
    const wss = new WebSocketServer({ server: http });
    wss.on("connection", (ws, request) => {
      const auth = String(request.headers.authorization);
      const token = auth.replace(/^Bearer /, "");
      ws.send(JSON.stringify({ event: "connected", session_id: `sess-${encodeURIComponent(token)}` }));
      ws.on("message", (data) => {
        if (!String(data).includes("speech_end")) return;
        ws.send(
          JSON.stringify({
            event: "error",
            message: `denied ${auth} (${Buffer.from(token).toString("base64")}) for ${request.url}; raw ${
              decodeURIComponent(request.url!.split("key=")[1]!)
            }`,
          }),
        );
        ws.close(4001, `bad ${encodeURIComponent(token).toLowerCase()}`);
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
    const dir = await mkdtemp(join(tmpdir(), "voxbench-echo-"));
    try {
      const url = `ws://127.0.0.1:${(http.address() as { port: number }).port}/ws?api-key=${
        encodeURIComponent(QUERY_SECRET)
      }&lang=en`;
      const result = await runCli([
        "--server",
        url,
        "--header",
        `Authorization: Bearer ${SECRET}`,
        "--concurrency",
        "1",
        "--requests",
        "2",
        "--think-time",
        "0",
        ...SIMPLE,
        "--export-dir",
        dir,
        "--run-id",
        "echo",
      ]);
      assert.equal(result.code, 1, result.stderr); // every turn failed: the success-rate alarm fails
      assertNoSecret(result.stdout, "the console report");
      assertNoSecret(result.stderr, "stderr");
      assertNoSecret(await readFile(join(dir, "echo", "summary.json"), "utf8"), "summary.json");
      const csv = await readFile(join(dir, "echo", "turns.csv"), "utf8");
      assertNoSecret(csv, "turns.csv");
      // The page's data block escapes < > & as \u003c...: read it back as the browser would.
      const page = await readFile(join(dir, "echo", "report.html"), "utf8");
      assertNoSecret(page, "report.html");
      const block = /<script type="application\/json" id="voxbench-data">([^<]*)<\/script>/.exec(page)![1]!;
      assertNoSecret(JSON.stringify(JSON.parse(block)), "report.html's data");
      assertNoSecret(JSON.parse(block).turns.rows.flat().join("\n"), "report.html's turns");
      assert.match(
        csv,
        /denied \[redacted\] \(\[redacted\]\) for \/ws\?api-key=\[redacted\]&lang=en; raw \[redacted\]/,
      );
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("usage errors never echo a secret: a --header without a name, a bad --server URL", async () => {
    const noName = await runCli(["--header", `Bearer ${SECRET}`, "--no-export"]);
    assert.equal(noName.code, 2);
    assert.match(
      noName.stderr,
      /^voxbench: --header must look like "Name: value" \(got \[redacted\], which has no ":"\)\n$/,
    );
    const badUrl = await runCli([
      "--server",
      `ws//user:${encodeURIComponent(SECRET)}@host/ws?token=${encodeURIComponent(QUERY_SECRET)}`,
      "--no-export",
    ]);
    assert.equal(badUrl.code, 2);
    assert.match(
      badUrl.stderr,
      /^voxbench: --server must be a ws:\/\/ or wss:\/\/ URL \(got "ws\/\/\[redacted\]@host\/ws\?token=\[redacted\]"\)\n$/,
    );
    const crlf = await runCli(["--header", `X-Token: ${SECRET}\r\nInjected: 1`, "--no-export"]);
    assert.equal(crlf.code, 2);
    assert.match(crlf.stderr, /^voxbench: --header "X-Token": the value contains a line break/);
    for (const result of [noName, badUrl, crlf]) assertNoSecret(result.stderr, "a usage error");
  });
});

describe("refused before anything starts, in one line", () => {
  const refused = async (
    args: readonly string[],
    pattern: RegExp,
    options: { cwd?: string } = {},
  ): Promise<void> => {
    const startedMs = performance.now();
    const result = await runCli(args, options);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, pattern);
    assert.doesNotMatch(result.stderr, /starting callers/);
    assert.ok(performance.now() - startedMs < 15_000, "refusing took too long");
  };

  test("--concurrency 1e6 and --requests 1e8", async () => {
    await refused(
      ["--concurrency", "1e6", "--no-export"],
      /--concurrency 1000000 is more callers than one process can drive in real time \(at most 10000\)/,
    );
    await refused(["--requests", "1e8", "--no-export"], /one run records at most 1000000/);
  });

  test("a seed beyond 32 bits, an impossible threshold, a URL fragment", async () => {
    await refused(["--seed", "4294967296", "--no-export"], /--seed must be at most 4294967295/);
    await refused(
      ["--threshold", "success_rate>1.5", "--no-export"],
      /success_rate is a fraction from 0 to 1/,
    );
    await refused(["--server", "ws://127.0.0.1:8000/ws#frag", "--no-export"], /#fragment/);
  });

  test("a config file switch that is not true or false", async () => {
    const dir = await mkdtemp(join(tmpdir(), "voxbench-bool-"));
    try {
      await writeFile(join(dir, "voxbench.config.json"), JSON.stringify({ insecure: "yes" }));
      await refused(["--no-export"], /--insecure is a switch: give true or false \(got "yes"\)/, {
        cwd: dir,
      });
      await writeFile(join(dir, "voxbench.config.json"), JSON.stringify({ quiet: 1 }));
      await refused(["--no-export"], /--quiet is a switch: give true or false \(got 1\)/, { cwd: dir });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("9. Ctrl-C during a connect, and the plan in the report", () => {
  test("a connect that would wait 30 s is abandoned at once; the turns in flight are cancelled, the rest never started", async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const dir = await mkdtemp(join(tmpdir(), "voxbench-connect-"));
    try {
      const url = `ws://127.0.0.1:${(silent.address() as { port: number }).port}/ws`;
      const cli = startCli([
        "--server",
        url,
        "--connect-timeout",
        "30",
        "--concurrency",
        "3",
        "--requests",
        "4",
        ...SIMPLE,
        "--export-dir",
        dir,
        "--run-id",
        "connecting",
      ]);
      await cli.waitFor(/voxbench: starting callers/);
      while (sockets.size < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      const signalledMs = performance.now();
      cli.signal("SIGINT");
      const result = await cli.done;
      assert.equal(result.code, 130, result.stderr);
      assert.ok(
        performance.now() - signalledMs < 3000,
        `stopping took ${(performance.now() - signalledMs).toFixed(0)} ms`,
      );
      assert.match(result.stdout, /Planned \/ Started \/ Completed: 12 \/ 3 \/ 0/);
      assert.match(result.stdout, /3 turn\(s\) in flight are marked cancelled, 9 never started/);
      const summary = JSON.parse(await readFile(join(dir, "connecting", "summary.json"), "utf8")) as {
        turnCounts: unknown;
        summary: { outcomes: unknown };
      };
      assert.deepEqual(summary.turnCounts, { planned: 12, started: 3, completed: 0 });
      assert.deepEqual(summary.summary.outcomes, { cancelled: 3 });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
