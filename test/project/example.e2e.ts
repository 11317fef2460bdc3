import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { REPO_ROOT, runtimeCommand } from "../helpers/cli.ts";

test("examples/custom-scenario.ts runs a user-defined scenario end to end on this runtime", async () => {
  const [command, ...args] = runtimeCommand(
    fileURLToPath(new URL("../../examples/custom-scenario.ts", import.meta.url)),
  );
  const child = spawn(command!, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, CONCURRENCY: "1", REQUESTS: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, stderr);
  assert.match(stdout, /follow_up: 1/);
  assert.match(stdout, /Successful: {7}1 \(100\.0%\)/);
});
