import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { OUTCOMES } from "../../src/metrics/outcomes.ts";
import { TURN_COLUMNS } from "../../src/metrics/turn-record.ts";
import { ExitCode } from "../../src/common/exit-codes.ts";
import { runCli } from "../helpers/cli.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

test("the README documents every flag of every command", async () => {
  for (const command of ["run", "demo", "serve", "audio", "compare"]) {
    const help = await runCli([command, "--help"]);
    const flags = [...help.stdout.matchAll(/^\s+(--[a-z-]+)/gm)].map((match) => match[1]!).filter((flag) =>
      flag !== "--help"
    );
    assert.ok(flags.length > 0, `no flags found for ${command}`);
    for (const flag of flags) {
      assert.ok(readme.includes(`\`${flag}`), `${command} ${flag} is not in the README`);
    }
  }
});

test("the README documents every turns.csv column, outcome and exit code", () => {
  for (const column of TURN_COLUMNS) assert.ok(readme.includes(`\`${column}\``), `column ${column}`);
  for (const outcome of Object.keys(OUTCOMES)) {
    assert.ok(readme.includes(`\`${outcome}\``), `outcome ${outcome}`);
  }
  for (const code of Object.values(ExitCode)) {
    assert.ok(readme.includes(`| \`${code}\` |`), `exit code ${code}`);
  }
  assert.ok(readme.includes("npm install") && readme.includes("npm test") && readme.includes("npm start"));
});
