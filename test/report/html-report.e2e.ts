/**
 * report.html of a real demo run, opened in headless Chromium with the network off: the charts are
 * drawn, nothing fails, the headline equals summary.json, the turn table filters; `voxbench report`
 * rebuilds the same page from the files; hostile text from a bot stays text.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { runCli } from "../helpers/cli.ts";
import { openInChromium } from "../helpers/chromium.ts";
import { readCsv } from "../../src/report/read-csv.ts";
import { jsonForScript } from "../../src/report/html/html-report.ts";

let dir: string;
let folder: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "voxbench-html-"));
  const demo = await runCli([
    "demo",
    "--concurrency",
    "3",
    "--requests",
    "3",
    "--seed",
    "5",
    "--export-dir",
    dir,
  ]);
  assert.equal(demo.code, 0, demo.stderr);
  folder = join(dir, (await readdir(dir))[0]!);
});
after(() => rm(dir, { recursive: true, force: true }));

const ms = (value: number): string => `${(Math.round(value * 10) / 10).toFixed(1)} ms`;

describe("report.html", () => {
  test("opens offline in headless Chromium: charts drawn, no errors, headline = summary.json, a working turn table", async () => {
    const summary = JSON.parse(await readFile(join(folder, "summary.json"), "utf8"));
    const page = await openInChromium(pathToFileURL(join(folder, "report.html")).href);
    try {
      assert.equal(await page.evaluate<string>("document.body.dataset.rendered"), "true");
      const painted = await page.evaluate<number[]>(
        `Array.from(document.querySelectorAll("canvas")).map((canvas) => {
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let index = 3; index < pixels.length; index += 4) if (pixels[index] > 0) count++;
        return count;
      })`,
      );
      assert.ok(painted.length >= 6, `${painted.length} charts`);
      for (const count of painted) {
        assert.ok(count > 2000, `a chart with ${count} painted pixels: ${painted.join(", ")}`);
      }
      const headline = await page.evaluate<Record<string, string>>(
        `Object.fromEntries(Array.from(document.querySelectorAll("[data-headline]")).map((node) => [node.dataset.headline, node.textContent]))`,
      );
      assert.deepEqual(headline, {
        turns: String(summary.summary.turns),
        success_rate: `${(summary.summary.successRate * 100).toFixed(1)}%`,
        ttft_p50: ms(summary.summary.metrics.ttft_ms.median),
        ttft_p95: ms(summary.summary.metrics.ttft_ms.p95),
        total_p95: ms(summary.summary.metrics.total_ms.p95),
        stop_p95: summary.summary.metrics.stop_ms ? ms(summary.summary.metrics.stop_ms.p95) : "-",
      });
      assert.equal(
        await page.evaluate<number>(`document.querySelectorAll("#turn-table tbody tr").length`),
        9,
      );
      const simple = summary.summary.byScenario.simple_query?.turns ?? 0;
      const filtered = await page.evaluate<number>(`(() => {
        const select = document.getElementById("filter-scenario");
        select.value = "simple_query";
        select.dispatchEvent(new Event("change"));
        return document.querySelectorAll("#turn-table tbody tr").length;
      })()`);
      assert.equal(filtered, simple);
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });

  test("voxbench report rebuilds the same page from summary.json and turns.csv", async () => {
    const first = await readFile(join(folder, "report.html"), "utf8");
    const rebuilt = await runCli(["report", folder]);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.equal(await readFile(join(folder, "report.html"), "utf8"), first);
    const missing = await runCli(["report", join(dir, "nope")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^voxbench: .*nope: no such run folder\n$/);
  });

  test("hostile text from the bot (an error, a session id) is shown as text, and nothing runs", async () => {
    const hostileError = `</script><script>window.pwned = 1</script>"><img src=x onerror="window.pwned = 2">`;
    const hostileSession = `"><svg onload="window.pwned = 3"><!--`;
    const csvPath = join(folder, "turns.csv");
    const { rows } = readCsv(await readFile(csvPath, "utf8"));
    const header = rows[0]!;
    rows[1]![header.indexOf("error")] = hostileError;
    rows[1]![header.indexOf("session_id")] = hostileSession;
    const quote = (cell: string): string => /[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
    await writeFile(csvPath, rows.map((row) => row.map(quote).join(",")).join("\n") + "\n");
    const rebuilt = await runCli(["report", folder]);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    const html = await readFile(join(folder, "report.html"), "utf8");
    assert.ok(!html.includes("<img src=x"), "the markup is not in the page as markup");
    const page = await openInChromium(pathToFileURL(join(folder, "report.html")).href);
    try {
      assert.equal(await page.evaluate<string>("document.body.dataset.rendered"), "true");
      assert.equal(await page.evaluate<unknown>("window.pwned"), undefined);
      assert.equal(await page.evaluate<number>(`document.querySelectorAll("img, svg, iframe").length`), 0);
      const cells = await page.evaluate<string[]>(
        `Array.from(document.querySelectorAll("#turn-table td.error")).map((cell) => cell.textContent)`,
      );
      assert.ok(cells.includes(hostileError), "the error is shown, as text");
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });

  test("compare --html: both runs' distributions overlaid and the comparison table, offline", async () => {
    const page = join(dir, "compare.html");
    const compared = await runCli(["compare", folder, folder, "--html", page, "--json"]);
    assert.equal(compared.code, 0, compared.stderr);
    const comparison = JSON.parse(compared.stdout);
    const browser = await openInChromium(pathToFileURL(page).href);
    try {
      assert.equal(await browser.evaluate<string>("document.body.dataset.rendered"), "true");
      assert.equal(
        await browser.evaluate<number>(`document.querySelectorAll("#comparison-table tbody tr").length`),
        comparison.rows.length,
      );
      const charts = await browser.evaluate<number>(`document.querySelectorAll("canvas").length`);
      assert.ok(charts >= 2, `${charts} charts`);
      assert.deepEqual(browser.errors, []);
    } finally {
      await browser.close();
    }
  });

  test("the data block cannot end its script element", () => {
    const text = jsonForScript({ error: "</script><!-- \u2028 & >" });
    assert.ok(!/[<>&\u2028]/.test(text), text);
    assert.deepEqual(JSON.parse(text), { error: "</script><!-- \u2028 & >" });
  });
});
