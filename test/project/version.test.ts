import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { VERSION } from "../../src/version.ts";

test("the version is the same in package.json, deno.json and the code", () => {
  const packageJson = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  const denoJson = JSON.parse(readFileSync(new URL("../../deno.json", import.meta.url), "utf8")) as {
    version: string;
  };
  assert.equal(packageJson.version, VERSION);
  assert.equal(denoJson.version, VERSION);
});
