/**
 * report.html of a 1,000-turn run: its size, and how long headless Chromium takes from navigation
 * to a rendered page (every chart drawn, the turn table filled), against the same browser opening
 * an empty page (the floor, measured in the same run).
 *
 * The run is real: 50 callers x 20 turns of short tones against the reference bot in this process.
 *
 *   node --import tsx bench/html-report.ts [--turns 1000]
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { run } from "../src/load/runner.ts";
import { serve } from "../src/server/server.ts";
import { writeExports } from "../src/report/exports.ts";
import { openInChromium } from "../test/helpers/chromium.ts";
import { quickLibrary } from "../test/helpers/test-audio.ts";
import { option } from "./support.ts";

const turns = Number(option("--turns", "1000"));
const callers = 50;
const dir = await mkdtemp(join(tmpdir(), "voxbench-html-bench-"));
try {
  const bot = await serve({
    port: 0,
    replyDelayMs: 100,
    doneEvent: true,
    noiseThresholdMs: 150,
    replyAudio: quickLibrary(200),
  });
  const result = await run({
    server: bot.url,
    audioLibrary: quickLibrary(200),
    concurrency: callers,
    requests: Math.ceil(turns / callers),
    thinkTimeS: { min: 0, max: 0.2 },
    replyEnd: "done",
    seed: 1,
  });
  await bot.close();
  const paths = await writeExports(result, dir);
  const bytes = (await stat(paths.reportHtml!)).size;
  const empty = join(dir, "empty.html");
  await writeFile(empty, "<!doctype html><body data-rendered=true></body>");
  const openMs = async (path: string): Promise<number> => {
    const page = await openInChromium(pathToFileURL(path).href);
    try {
      const timing = await page.evaluate<number>(
        `new Promise((resolve) => { const wait = () => document.body.dataset.rendered === "true" ? resolve(performance.now()) : setTimeout(wait, 5); wait(); })`,
      );
      if (page.errors.length > 0) throw new Error(page.errors.join("; "));
      return timing;
    } finally {
      await page.close();
    }
  };
  const floors: number[] = [];
  const reports: number[] = [];
  for (let i = 0; i < 3; i++) {
    floors.push(await openMs(empty));
    reports.push(await openMs(paths.reportHtml!));
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[1]!;
  const html = await readFile(paths.reportHtml!, "utf8");
  console.log(
    `report.html of ${result.turns.length} turns: ${
      (bytes / 1024).toFixed(0)
    } KiB (${html.length} characters)`,
  );
  console.log(
    `navigation -> rendered, median of 3: report ${median(reports).toFixed(0)} ms, empty page ${
      median(floors).toFixed(0)
    } ms (${(median(reports) / median(floors)).toFixed(1)}x the floor)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
