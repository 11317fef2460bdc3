import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { VERSION } from "../../src/version.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

test("the installed bin (built by npm install) is an executable node script that runs", async () => {
  const packageJson = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as {
    bin: { voxbench: string };
  };
  const bin = `${root}${packageJson.bin.voxbench}`;
  assert.match(readFileSync(bin, "utf8").split("\n")[0]!, /^#!\/usr\/bin\/env node$/);
  // npx runs the file itself: without the executable bit a newcomer gets "Permission denied".
  if (process.platform !== "win32") assert.ok(statSync(bin).mode & 0o100, `${bin} is not executable`);
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(bin, ["--version"], { cwd: root }, (error, out) => (error ? reject(error) : resolve(out)));
  });
  assert.match(stdout, new RegExp(`^voxbench/${VERSION.replaceAll(".", "\\.")} `));
});
