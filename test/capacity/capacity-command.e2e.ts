/**
 * `voxbench capacity` against the reference bot run as its own process, with 20 LLM slots: the
 * knee it finds matches the one the bot's configuration implies; its files hold every step; bad
 * input is one line and exit 2.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BotFixture, runCli, startBotProcess } from "../helpers/cli.ts";
import { buildWav, sineWave } from "../helpers/wav-builder.ts";
import { parseCsv } from "../helpers/csv.ts";
import { openInChromium } from "../helpers/chromium.ts";
import { pathToFileURL } from "node:url";

const SLOTS = 20;
const LLM_MS = 1500;
const QUERY_MS = 400;
const REPLY_MS = 100;

let bot: BotFixture;
let botAudio: string;
let callerAudio: string;
before(async () => {
  // Short tones keep the turns short: the caller's 400 ms question, the bot's 100 ms answer.
  botAudio = await mkdtemp(join(tmpdir(), "voxbench-bot-audio-"));
  const tone = (ms: number): Uint8Array =>
    buildWav({ channels: [sineWave(300, 16000, ms)], sampleRateHz: 16000, encoding: "pcm", bitDepth: 16 });
  await writeFile(join(botAudio, "bot_answer.wav"), tone(REPLY_MS));
  bot = await startBotProcess("capacity", [
    "--stt-ms",
    "0",
    "--llm-ttft-ms",
    String(LLM_MS),
    "--tts-ttfb-ms",
    "0",
    "--max-concurrent-replies",
    String(SLOTS),
    "--noise-threshold-ms",
    "150",
    "--done-event",
    "--audio-dir",
    botAudio,
  ]);
  callerAudio = join(bot.dir, "caller-audio");
  await mkdir(callerAudio);
  await writeFile(join(callerAudio, "query_question.wav"), tone(QUERY_MS));
});
after(async () => {
  await bot.close();
  await rm(botAudio, { recursive: true, force: true });
});

const QUERIES_ONLY = [
  "--simple",
  "1",
  "--tools",
  "0",
  "--interruptions",
  "0",
  "--false-alarms",
  "0",
  "--reply-end",
  "done",
];

describe("voxbench capacity", () => {
  test("finds the knee that 20 LLM slots imply, within one step; capacity.json and .csv hold every step", async () => {
    // A caller's cycle: it speaks (400 ms), waits for the first audio (the LLM's 1500 ms, holding a
    // slot), hears the 100 ms answer, and speaks again. Spread evenly over the cycle (--ramp-up), N
    // callers hold N x 1500 / 2000 slots on average: the slots run out, and turns queue, above
    // 20 x 2000 / 1500 = 26.7 callers.
    const cycleMs = QUERY_MS + LLM_MS + REPLY_MS;
    const expectedKnee = (SLOTS * cycleMs) / LLM_MS;
    const step = 5;
    const exportDir = join(bot.dir, "exports");
    const result = await runCli([
      "capacity",
      "--server",
      bot.url,
      "--audio-dir",
      callerAudio,
      ...QUERIES_ONLY,
      "--think-time",
      "0",
      "--ramp-up",
      String(cycleMs / 1000),
      "--threshold",
      `ttft.p95<${LLM_MS + 200}`,
      "--start",
      "15",
      "--step",
      String(step),
      "--resolution",
      "2",
      "--hold",
      "5s",
      "--warmup",
      "2s",
      "--export-dir",
      exportDir,
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const folder = join(exportDir, (await readdir(exportDir)).find((name) => name.startsWith("capacity-"))!);
    const report = JSON.parse(await readFile(join(folder, "capacity.json"), "utf8"));
    const found: number = report.result.capacity;
    assert.ok(
      Math.abs(found - expectedKnee) <= step,
      `found ${found} calls, the configuration implies ${expectedKnee.toFixed(1)}: ${result.stdout}`,
    );
    assert.equal(report.result.end, "found");
    assert.ok(report.result.firstFailing > found && report.result.firstFailing - found <= 2);
    assert.match(result.stdout, new RegExp(`Capacity: ${found} calls in progress met every threshold`));
    // Every step: up by 5 from 15 until one failed, then bisecting; never a failure below a pass.
    const loads: number[] = report.steps.map((entry: { load: number }) => entry.load);
    assert.deepEqual(loads.slice(0, 2), [15, 20]);
    for (const entry of report.steps) {
      assert.equal(entry.valid, true, entry.generatorReasons.join("; "));
      assert.equal(entry.passed, entry.load <= found, `step at ${entry.load}`);
      assert.ok(
        entry.judgedTurns > 0 && entry.judgedTurns < entry.turns,
        "the warm-up's turns are not judged",
      );
    }
    const [header, ...rows] = parseCsv(await readFile(join(folder, "capacity.csv"), "utf8"));
    const column = (name: string): string[] => rows.map((row) => row[header!.indexOf(name)]!);
    assert.deepEqual(column("load").map(Number), loads);
    assert.deepEqual(
      column("passed"),
      report.steps.map((entry: { passed: boolean }) => String(entry.passed)),
    );
    // Each step's own run folder, with its turns.
    const stepFolders = await readdir(join(folder, "steps"));
    assert.equal(stepFolders.length, loads.length);
    for (const entry of report.steps) assert.ok(stepFolders.includes(entry.runId));
  });

  test("even the first step failing is exit 1, with no capacity", async () => {
    const exportDir = join(bot.dir, "exports-fail");
    const result = await runCli([
      "capacity",
      "--server",
      bot.url,
      "--audio-dir",
      callerAudio,
      ...QUERIES_ONLY,
      "--think-time",
      "0",
      "--threshold",
      "ttft.p95<500",
      "--start",
      "2",
      "--hold",
      "1s",
      "--warmup",
      "0",
      "--export-dir",
      exportDir,
    ]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /No capacity found: the first step, 2 calls in progress, failed ttft\.p95<500/,
    );
    const folder = join(exportDir, (await readdir(exportDir))[0]!);
    const report = JSON.parse(await readFile(join(folder, "capacity.json"), "utf8"));
    assert.equal(report.result.capacity, null);
    assert.equal(report.steps.length, 1);
    // capacity.html draws the step against its limit, offline.
    const page = await openInChromium(pathToFileURL(join(folder, "capacity.html")).href);
    try {
      assert.equal(await page.evaluate<string>("document.body.dataset.rendered"), "true");
      assert.equal(
        await page.evaluate<number>(`document.querySelectorAll("#step-table tbody tr").length`),
        1,
      );
      assert.match(await page.evaluate<string>("document.body.textContent"), /No capacity found/);
      assert.ok(await page.evaluate<number>(`document.querySelectorAll("canvas").length`) >= 1);
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });

  test("bad input: one line naming the problem, exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [[], /capacity needs at least one --threshold/],
      [
        ["--threshold", "ttft.p95<1000", "--concurrency", "5"],
        /capacity: drop --concurrency: capacity sets the load itself/,
      ],
      [["--threshold", "ttft.p95<1000", "--arrival-rate", "5"], /capacity: drop --arrival-rate/],
      [["--threshold", "ttft.p95<1000", "--mode", "ramp"], /--mode must be one of/],
      [["--threshold", "ttft.p95<1000", "--step", "1.5"], /--step must be a whole number/],
      [
        ["--threshold", "ttft.p95<1000", "--hold", "5s", "--warmup", "5s"],
        /--warmup \(5 s\) must be shorter than --hold/,
      ],
      [
        ["--threshold", "ttft.p95<1000", "--start", "50", "--max-load", "10"],
        /the first step.s load \(--start, default --step\) 50 is above --max-load 10/,
      ],
      [["--threshold", "ttft.p99<<3"], /--threshold "ttft.p99<<3"/],
      [["--threshold", "ttft.p95<1000", "--requests", "5"], /capacity: drop --requests/],
      [["--threshold", "ttft.p95<1000", "--run-id", "x"], /capacity: drop --run-id/],
      [["--threshold", "ttft.p95<1000", "--hold", "30s", "--max-duration", "30s"], /no step would fit/],
      [
        ["--threshold", "ttft.p95<1000", "--warmup", "2s", "--ramp-up", "5"],
        /--ramp-up \(5 s\) must not be longer/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["capacity", "--server", "ws://127.0.0.1:9/ws", "--no-export", ...args]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }
  });
});
