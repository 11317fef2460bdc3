import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { OUTCOMES } from "../../src/metrics/outcomes.ts";
import { TURN_COLUMNS } from "../../src/metrics/turn-record.ts";
import { ExitCode } from "../../src/common/exit-codes.ts";
import { runCli } from "../helpers/cli.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const readme = read("README.md");
const pages = [
  "README.md",
  ...readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`),
];

test("docs/commands.md documents every flag of every command", async () => {
  const commands = read("docs/commands.md");
  for (const command of ["run", "demo", "serve", "audio", "compare", "merge", "capacity"]) {
    const help = await runCli([command, "--help"]);
    const flags = [...help.stdout.matchAll(/^\s+(--[a-z-]+)/gm)].map((match) => match[1]!).filter((flag) =>
      flag !== "--help"
    );
    assert.ok(flags.length > 0, `no flags found for ${command}`);
    for (const flag of flags) {
      assert.ok(commands.includes(`\`${flag}`), `${command} ${flag} is not in docs/commands.md`);
    }
  }
});

test("docs/outputs.md documents every turns.csv column, outcome and exit code; the README every exit code", () => {
  const outputs = read("docs/outputs.md");
  for (const column of TURN_COLUMNS) assert.ok(outputs.includes(`\`${column}\``), `column ${column}`);
  for (const outcome of Object.keys(OUTCOMES)) {
    assert.ok(outputs.includes(`\`${outcome}\``), `outcome ${outcome}`);
  }
  for (const code of Object.values(ExitCode)) {
    assert.ok(outputs.includes(`| \`${code}\` |`), `exit code ${code} in docs/outputs.md`);
    assert.ok(readme.includes(`| \`${code}\` |`), `exit code ${code} in the README`);
  }
  assert.ok(readme.includes("npm install") && readme.includes("npm test") && readme.includes("npm start"));
});

/** GitHub's anchor of a heading. */
function anchorOf(heading: string): string {
  return heading.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");
}

test("every relative link of the README and docs/ points at a file, and at a heading that exists", () => {
  for (const page of pages) {
    const text = read(page);
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const file = path === "" ? page : join(dirname(page), path);
      assert.ok(existsSync(join(ROOT, file)), `${page}: link to ${target}: no file ${file}`);
      if (anchor === undefined || !file.endsWith(".md")) continue;
      const headings = [...read(file).matchAll(/^#{1,6} (.+)$/gm)].map((heading) => anchorOf(heading[1]!));
      assert.ok(headings.includes(anchor), `${page}: link to ${target}: no heading #${anchor} in ${file}`);
    }
  }
});

test("the README stays short: reference detail lives in docs/", () => {
  assert.ok(Buffer.byteLength(readme) < 20_000, `README.md is ${Buffer.byteLength(readme)} bytes`);
});
