/**
 * The open model end to end: an open run against the reference bot that drops and counts calls at
 * --max-calls, and the CLI's refusals.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { arrivalSchedule } from "../../src/load/arrivals.ts";
import { run } from "../../src/load/runner.ts";
import { serve } from "../../src/server/server.ts";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "../helpers/cli.ts";
import { inTempDir } from "../helpers/temp-files.ts";

describe("an open run against the reference bot", () => {
  test("calls start on the schedule; arrivals beyond --max-calls are dropped and counted, never delayed; a threshold can use them", async () => {
    const bot = await serve({ port: 0, replyDelayMs: 200, doneEvent: true });
    try {
      const load = { arrivalRate: 6, durationS: 2, maxCalls: 2, turnsPerCall: { min: 1, max: 2 } };
      const result = await run({
        server: bot.url,
        ...load,
        mix: { simple_query: 1, tool_call: 0, interruption: 0, false_alarm: 0 },
        seed: 5,
        thinkTimeS: { min: 0.1, max: 0.1 },
        thresholds: ["dropped_calls<1"],
      });
      const schedule = arrivalSchedule({ ratePerS: 6, durationS: 2, process: "poisson" }, 5).offsetsMs;
      assert.ok(result.calls, "an open run reports its calls");
      assert.equal(
        result.calls.started + result.calls.dropped,
        schedule.length,
        "every arrival either started a call or was dropped",
      );
      assert.ok(
        result.calls.dropped > 0,
        "a reply takes seconds: two calls cannot take six arrivals a second",
      );
      assert.ok(result.calls.started >= 2);
      assert.equal(result.turnCounts.planned, result.calls.plannedTurns);
      assert.equal(result.turns.length, result.calls.plannedTurns);
      for (const turn of result.turns) assert.equal(turn.outcome, "ok", `${turn.error}`);
      // The timeline counted every arrival, drop and turn, and never more than --max-calls calls at once.
      const windows = result.timeline ?? [];
      const sum = (pick: (window: (typeof windows)[number]) => number): number =>
        windows.reduce((total, window) => total + pick(window), 0);
      assert.equal(sum((window) => window.arrivals), schedule.length);
      assert.equal(sum((window) => window.droppedCalls), result.calls.dropped);
      assert.equal(sum((window) => window.callsStarted), result.calls.started);
      assert.equal(sum((window) => window.turns), result.turns.length);
      assert.ok(
        windows.every((window) => window.maxActiveCalls <= 2),
        `calls at once: ${windows.map((window) => window.maxActiveCalls).join(",")}`,
      );
      assert.equal(windows.at(-1)?.activeCalls, 0, "every call ended");
      const verdict = result.verdicts.find((candidate) => candidate.expression === "dropped_calls<1");
      assert.equal(verdict?.status, "fail");
      assert.equal(verdict?.measured, result.calls.dropped);
    } finally {
      await bot.close();
    }
  });
});

describe("open model on the command line", () => {
  test("each bad combination is one line and exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["--arrival-rate", "2", "--duration", "10s", "--concurrency", "5"],
        /--arrival-rate and --concurrency cannot be used together/,
      ],
      [["--arrival-rate", "2"], /--arrival-rate needs --duration/],
      [
        ["--arrival-rate", "2", "--duration", "5x"],
        /--duration must be a duration like 30s, 2m, 1h or 500ms \(got "5x"\)/,
      ],
      [["--arrival-rate", "-1", "--duration", "5s"], /--arrival-rate/],
      [
        ["--arrival-rate", "2", "--duration", "5s", "--turns-per-call", "0"],
        /--turns-per-call must be a whole number of at least 1/,
      ],
      [["--max-calls", "3"], /give --arrival-rate too/],
      [["--arrival-rate", "2", "--duration", "5s", "--workers", "2"], /--workers is for the closed model/],
      [["--stages", "10s:5", "--duration", "5s"], /--duration and --stages cannot be used together/],
      [["--stages", "10s:5", "--concurrency", "1.5"], /--concurrency must be a whole number of at least 0/],
      [
        ["--arrival-rate", "0", "--stages", "10s:5", "--duration", "5s"],
        /--duration and --stages cannot be used together/,
      ],
      [["--arrival-rate", "0", "--stages", "10s:5,3q:1"], /--stages: stage 2 "3q:1" must look like 30s:10/],
      [["--arrival-rate", "0", "--stages", "10s:-5"], /has a negative target/],
      [["--arrival-rate", "0", "--duration", "5s"], /--arrival-rate must be greater than 0/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["run", "--server", "ws://127.0.0.1:9/ws", "--no-export", ...args]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
  });

  test("stages from a config file (a list of { duration, target }) ramp the rate; the report names them", async () => {
    await inTempDir(async (dir) => {
      const config = join(dir, "voxbench.config.json");
      await writeFile(
        config,
        JSON.stringify({
          arrivalRate: 0,
          stages: [{ duration: "1s", target: 4 }, { duration: 1, target: 0 }],
          turnsPerCall: 1,
          maxCalls: 50,
        }),
      );
      const result = await runCli([
        "run",
        "--config",
        config,
        "--server",
        "ws://127.0.0.1:9/ws",
        "--no-export",
        "--seed",
        "3",
      ]);
      assert.equal(result.code, 1, result.stderr);
      const expected = arrivalSchedule({
        ratePerS: 0,
        durationS: 2,
        process: "poisson",
        stages: [{ durationS: 1, target: 4 }, { durationS: 1, target: 0 }],
      }, 3).offsetsMs.length;
      assert.match(
        result.stdout,
        new RegExp(
          `Calls: +${expected} started, 0 dropped at --max-calls 50 \\(poisson arrivals from 0/s through stages 1s:4,1s:0\\)`,
        ),
      );
    });
  });
});
