import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type LaunchContext, shouldRelaunch } from "../../src/process/relaunch.ts";
import { UsageError } from "../../src/common/errors.ts";

const TWO_CORES: LaunchContext = {
  runtime: "node",
  parallelism: 2,
  execArgv: [],
  nodeOptions: "",
  setting: undefined,
};

describe("shouldRelaunch", () => {
  test("only on request: VOXBENCH_SINGLE_THREADED_GC=1, on any machine; unset or 0 never", () => {
    assert.equal(shouldRelaunch(TWO_CORES), false);
    assert.equal(shouldRelaunch({ ...TWO_CORES, setting: " " }), false);
    assert.equal(shouldRelaunch({ ...TWO_CORES, setting: "0" }), false);
    assert.equal(shouldRelaunch({ ...TWO_CORES, setting: "1" }), true);
    assert.equal(shouldRelaunch({ ...TWO_CORES, parallelism: 64, setting: "1" }), true);
  });

  test("never on Deno, whose V8 flags come from its own command line", () => {
    assert.equal(shouldRelaunch({ ...TWO_CORES, runtime: "deno", setting: "1" }), false);
  });

  test("never when a GC-threading flag is already given, which includes the re-started process itself", () => {
    for (
      const flag of [
        "--single-threaded-gc",
        "--single-threaded",
        "--single_threaded_gc",
        "--no-concurrent-marking",
        "--no-parallel-scavenge",
        "--v8-pool-size=1",
        "--parallel-marking",
      ]
    ) {
      assert.equal(
        shouldRelaunch({ ...TWO_CORES, execArgv: ["--import", "tsx", flag], setting: "1" }),
        false,
        flag,
      );
    }
    assert.equal(shouldRelaunch({ ...TWO_CORES, nodeOptions: "--v8-pool-size=2", setting: "1" }), false);
  });

  test("never under a debugger, a profiler or the permission model (one process is what they expect)", () => {
    for (
      const flag of [
        "--inspect",
        "--inspect-brk=9230",
        "--cpu-prof",
        "--heap-prof",
        "--prof",
        "--permission",
        "--experimental-permission",
      ]
    ) {
      assert.equal(shouldRelaunch({ ...TWO_CORES, execArgv: [flag], setting: "1" }), false, flag);
    }
    assert.equal(shouldRelaunch({ ...TWO_CORES, nodeOptions: "--inspect", setting: "1" }), false);
    assert.equal(shouldRelaunch({ ...TWO_CORES, execArgv: ["--preserve-symlinks"], setting: "1" }), true);
    // Other V8 flags leave the decision as it was.
    assert.equal(shouldRelaunch({ ...TWO_CORES, execArgv: ["--max-semi-space-size=1"], setting: "1" }), true);
  });

  test("any other setting is a usage error naming the variable", () => {
    for (const setting of ["yes", "auto"]) {
      assert.throws(
        () => shouldRelaunch({ ...TWO_CORES, setting }),
        (error: unknown) =>
          error instanceof UsageError &&
          /VOXBENCH_SINGLE_THREADED_GC must be 0 or 1 \(got "/.test(error.message),
      );
    }
  });
});
