import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { currentRuntime } from "../../src/common/runtime.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Churns objects that survive a few scavenges (as a caller's per-turn events do) and prints the young generation's size. */
const CHURN = `
import v8 from "node:v8";
import { keepYoungGenerationSmall } from "./src/common/young-generation.ts";
const accepted = process.argv.includes("--tune") ? keepYoungGenerationSmall() : null;
const keep = [];
for (let i = 0; i < 150000; i++) { keep.push({ values: new Array(20).fill(i) }); if (keep.length > 20000) keep.shift(); }
const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space");
console.log(JSON.stringify({ accepted, newSpaceMiB: newSpace.space_size / 1048576 }));
`;

function churn(
  tune: boolean,
  env: Record<string, string> = {},
): { accepted: boolean | null; newSpaceMiB: number } {
  const runtime = currentRuntime().name;
  const args = runtime === "deno"
    ? ["eval", "--ext=ts", CHURN, ...(tune ? ["--tune"] : [])]
    : ["--import", "tsx", "--input-type=module", "-e", CHURN, ...(tune ? ["--", "--tune"] : [])];
  const child = spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
    accepted: boolean | null;
    newSpaceMiB: number;
  };
}

describe("keepYoungGenerationSmall", () => {
  test("the runtime takes the flag, and on Node the young generation stays at its first size while untuned it grows", () => {
    const tuned = churn(true);
    assert.equal(tuned.accepted, true);
    if (currentRuntime().name === "node") {
      const untuned = churn(false);
      assert.ok(
        untuned.newSpaceMiB >= 8,
        `untuned young generation ${untuned.newSpaceMiB} MiB: the churn must make it grow`,
      );
      assert.ok(tuned.newSpaceMiB <= 4, `tuned young generation ${tuned.newSpaceMiB} MiB`);
    } else {
      // Deno's V8 (14.x) grows the young generation by other rules; only --v8-flags=--max-semi-space-size
      // bounds it there (README). The call must still be accepted and harmless.
      assert.ok(tuned.newSpaceMiB > 0);
    }
  });
  test("a semi-space size the user gave Node (here in NODE_OPTIONS) is left alone", () => {
    const own = churn(true, { NODE_OPTIONS: "--max-semi-space-size=4" });
    assert.equal(own.accepted, false);
    if (currentRuntime().name === "node") {
      assert.ok(
        own.newSpaceMiB > 4,
        `young generation ${own.newSpaceMiB} MiB: Node's own flag (4 MiB semi-spaces) must apply`,
      );
    }
  });
});
