/**
 * Re-starting the CLI once under V8's `--single-threaded-gc` on machines with two cores or fewer.
 *
 * Why: V8 marks and sweeps on helper threads. When the callers and the bot share two cores, those
 * threads take the core the other process needs at the moment a frame reaches it, and the socket
 * timestamps of both are late by that much (bench/fidelity.ts: ttft error p99 at 100 callers, median
 * 5.5 ms with V8's default, 4.3 ms with the flag). V8 reads the flag only at start-up (setting it
 * in a running process crashes V8 at the next GC) and Node does not take it from NODE_OPTIONS, so
 * the only way to give it to a user's `voxbench run` is to start Node again with it.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import process from "node:process";
import { UsageError } from "../common/errors.ts";
import { currentRuntime } from "../common/runtime.ts";
import { ExitCode } from "../common/exit-codes.ts";
import { isReadyMessage, type ForwardedSignal, type StopSignal } from "./stop-requests.ts";

/** The environment variable that chooses: `1` always, `0` never, unset (or `auto`) on <= 2 cores. */
export const SINGLE_THREADED_GC_ENV = "VOXBENCH_SINGLE_THREADED_GC";

/** Set in the re-started process's environment: its parent forwards signals over IPC. */
export const LAUNCHED_ENV = "VOXBENCH_LAUNCHED";

/** What the decision depends on, read from the process by {@link currentLaunchContext}. */
export interface LaunchContext {
  readonly runtime: "node" | "deno";
  /** os.availableParallelism(): the cores this process may use. */
  readonly parallelism: number;
  readonly execArgv: readonly string[];
  readonly nodeOptions: string;
  /** The value of VOXBENCH_SINGLE_THREADED_GC, if set. */
  readonly setting: string | undefined;
}

/** Any V8 flag that already chooses how the GC uses threads: the user's choice is left alone. */
const GC_THREADING_FLAG = /--(no[-_])?(single[-_]threaded|concurrent[-_]marking|parallel[-_]marking|concurrent[-_]sweeping|parallel[-_]scavenge|v8[-_]pool[-_]size)/;

/**
 * Whether to re-start under `--single-threaded-gc`: only on Node, only if no GC-threading flag was
 * given (which includes the re-started process itself), then as VOXBENCH_SINGLE_THREADED_GC says,
 * by default when the machine has two cores or fewer.
 *
 * @throws {UsageError} when VOXBENCH_SINGLE_THREADED_GC is not 0, 1, auto or empty.
 * @example
 * ```ts
 * import { shouldRelaunch } from "./relaunch.ts";
 * const context = { runtime: "node" as const, parallelism: 2, execArgv: [], nodeOptions: "", setting: undefined };
 * console.log(shouldRelaunch(context)); // true
 * console.log(shouldRelaunch({ ...context, setting: "0" })); // false
 * ```
 */
export function shouldRelaunch(context: LaunchContext): boolean {
  const setting = (context.setting ?? "").trim().toLowerCase();
  if (!["", "auto", "0", "1"].includes(setting)) {
    throw new UsageError(`${SINGLE_THREADED_GC_ENV} must be 0, 1 or auto (got "${context.setting}")`);
  }
  if (context.runtime !== "node") return false;
  if (GC_THREADING_FLAG.test(`${context.execArgv.join(" ")} ${context.nodeOptions}`)) return false;
  if (setting === "0") return false;
  return setting === "1" || context.parallelism <= 2;
}

/**
 * The decision's inputs for this process.
 *
 * @example
 * ```ts
 * import { currentLaunchContext } from "./relaunch.ts";
 * console.log(currentLaunchContext().parallelism >= 1); // true
 * ```
 */
export function currentLaunchContext(): LaunchContext {
  return {
    runtime: currentRuntime().name,
    parallelism: typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length,
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS ?? "",
    setting: process.env[SINGLE_THREADED_GC_ENV],
  };
}

/**
 * Runs this same command line again in a child Node process with `--single-threaded-gc` when
 * {@link shouldRelaunch} says so, and resolves to the child's exit code; resolves to undefined
 * when this process should do the work itself (no re-start wanted, or the child could not be
 * started). The child shares the terminal (stdin, stdout, stderr); every SIGINT and SIGTERM this
 * process gets is forwarded to it (see stop-requests.ts for the pairing with the terminal's own
 * copy); a child that dies of a signal makes this process die of the same signal.
 *
 * @example
 * ```ts ignore
 * import { relaunchWithSingleThreadedGc } from "./relaunch.ts";
 * const code = await relaunchWithSingleThreadedGc();
 * if (code !== undefined) process.exit(code); // the child did the work
 * ```
 */
export async function relaunchWithSingleThreadedGc(context: LaunchContext = currentLaunchContext()): Promise<number | undefined> {
  if (!shouldRelaunch(context)) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, "--single-threaded-gc", ...process.argv.slice(1)], {
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: { ...process.env, [LAUNCHED_ENV]: "1" },
  });
  let ready = false;
  child.on("message", (message: unknown) => {
    if (isReadyMessage(message)) ready = true;
  });
  const forward = (signal: StopSignal): void => {
    // Until the child listens on its channel a message would be lost: signal it directly, which
    // ends it as the signal's default action would (and this process then dies of it too).
    if (!ready) child.kill(signal);
    // A child already exiting has closed its channel: there is nothing left to stop.
    else if (child.connected) child.send({ voxbenchSignal: signal } satisfies ForwardedSignal, () => {});
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  try {
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | "not-started">((resolve) => {
      // Other errors (a failed send) leave the child running: its exit still ends the wait.
      child.on("error", () => {
        if (child.pid === undefined) resolve("not-started");
      });
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    if (ended === "not-started") return undefined;
    if (ended.signal !== null) {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      process.kill(process.pid, ended.signal);
      return 128 + (os.constants.signals[ended.signal] ?? 0);
    }
    return ended.code ?? ExitCode.Internal;
  } finally {
    process.off("SIGINT", forward);
    process.off("SIGTERM", forward);
  }
}
