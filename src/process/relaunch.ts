/**
 * Re-starting the CLI once under V8's `--single-threaded-gc`, on request only
 * (VOXBENCH_SINGLE_THREADED_GC=1): it adds a process, and measured against a capture of the wire
 * it does not pay for one (the figures are in docs/benchmarks.md). It stays for who wants to try it
 * on a machine where the bot and the callers share two
 * cores: V8's helper threads for marking and sweeping then take the core the other process needs.
 * V8 reads the flag only at start-up (setting it in a running process crashes V8 at the next GC)
 * and Node does not take it from NODE_OPTIONS, so the only way to give it to a user's
 * `voxbench run` is to start Node again with it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import os from "node:os";
import process from "node:process";
import { UsageError } from "../common/errors.ts";
import { currentRuntime } from "../common/runtime.ts";
import { ExitCode } from "../common/exit-codes.ts";
import {
  type ForwardedSignal,
  isReadyMessage,
  LAUNCHED_ENV,
  startedByNpm,
  type StopSignal,
  watchParent,
} from "./stop-requests.ts";

/** The environment variable that asks for it: `1` re-starts, `0` or unset does not. */
export const SINGLE_THREADED_GC_ENV = "VOXBENCH_SINGLE_THREADED_GC";

/** How long a forwarded signal waits for a child that has not yet said it listens. */
const DIRECT_SIGNAL_AFTER_MS = 1000;

/** Signals a launcher passes on as its own death when they ended the child. */
const TERMINATION_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGKILL"];

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

/**
 * Node flags under which a second process would do harm: a debugger or profiler would attach to
 * the idle launcher (and a second inspector would want the same port), and the permission model
 * may forbid child processes.
 */
const SINGLE_PROCESS_FLAG = /--(inspect|debug|cpu-prof|heap-prof|prof\b|permission|experimental-permission)/;

/** Any V8 flag that already chooses how the GC uses threads: the user's choice is left alone. */
const GC_THREADING_FLAG =
  /--(no[-_])?(single[-_]threaded|concurrent[-_]marking|parallel[-_]marking|concurrent[-_]sweeping|parallel[-_]scavenge|v8[-_]pool[-_]size)/;

/**
 * Whether to re-start under `--single-threaded-gc`: only when VOXBENCH_SINGLE_THREADED_GC is 1,
 * only on Node, and never when a GC-threading flag was already given (which includes the re-started
 * process itself) or a debugger, profiler or the permission model is in use.
 *
 * @throws {UsageError} when VOXBENCH_SINGLE_THREADED_GC is not 0, 1 or empty.
 * @example
 * ```ts
 * import { shouldRelaunch } from "./relaunch.ts";
 * const context = { runtime: "node" as const, parallelism: 2, execArgv: [], nodeOptions: "", setting: "1" };
 * console.log(shouldRelaunch(context)); // true
 * console.log(shouldRelaunch({ ...context, setting: undefined })); // false
 * ```
 */
export function shouldRelaunch(context: LaunchContext): boolean {
  const setting = (context.setting ?? "").trim();
  if (!["", "0", "1"].includes(setting)) {
    throw new UsageError(`${SINGLE_THREADED_GC_ENV} must be 0 or 1 (got "${context.setting}")`);
  }
  if (setting !== "1" || context.runtime !== "node") return false;
  const nodeFlags = `${context.execArgv.join(" ")} ${context.nodeOptions}`;
  return !GC_THREADING_FLAG.test(nodeFlags) && !SINGLE_PROCESS_FLAG.test(nodeFlags);
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
 * process gets is forwarded to it (stop-requests.ts counts the terminal's own copy and the
 * forwarded one as one request); a child ended by SIGINT, SIGTERM, SIGHUP or SIGKILL ends this process the same way.
 *
 * @example
 * ```ts ignore
 * import { relaunchWithSingleThreadedGc } from "./relaunch.ts";
 * const code = await relaunchWithSingleThreadedGc();
 * if (code !== undefined) process.exit(code); // the child did the work
 * ```
 */
export async function relaunchWithSingleThreadedGc(
  context: LaunchContext = currentLaunchContext(),
): Promise<number | undefined> {
  if (!shouldRelaunch(context)) return undefined;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...process.execArgv, "--single-threaded-gc", ...process.argv.slice(1)], {
      stdio: ["inherit", "inherit", "inherit", "ipc"],
      env: { ...process.env, [LAUNCHED_ENV]: "1" },
    });
  } catch {
    // Not allowed or not possible here (permissions, memory): the work runs in this process.
    return undefined;
  }
  let ready = false;
  child.on("message", (message: unknown) => {
    if (isReadyMessage(message)) ready = true;
  });
  const forward = (signal: StopSignal): void => {
    // A child already exiting has closed its channel: there is nothing left to stop.
    if (!child.connected) return;
    // Node holds a message until the child listens; a child that never does (still starting after a
    // second, or not voxbench's CLI) is signalled directly, which ends it as the default action does.
    child.send({ voxbenchSignal: signal } satisfies ForwardedSignal, () => {});
    if (!ready) {
      setTimeout(() => {
        if (!ready && child.exitCode === null && child.signalCode === null) child.kill(signal);
      }, DIRECT_SIGNAL_AFTER_MS).unref();
    }
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  // npm signals the shell it started, not this process: a vanished parent is a stop request too.
  const stopWatchingParent = startedByNpm() ? watchParent(() => forward("SIGTERM")) : undefined;
  let ended: { code: number | null; signal: NodeJS.Signals | null } | "not-started";
  try {
    ended = await new Promise((resolve) => {
      // Other errors (a failed send) leave the child running: its exit still ends the wait.
      child.on("error", () => {
        if (child.pid === undefined) resolve("not-started");
      });
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
  } finally {
    // Before any re-raise below: with a listener left, the signal would not end this process.
    process.off("SIGINT", forward);
    process.off("SIGTERM", forward);
    stopWatchingParent?.();
  }
  if (ended === "not-started") return undefined;
  if (ended.signal === null) return ended.code ?? ExitCode.Internal;
  // A child ended by a termination signal ends this process the same way, so a shell or supervisor
  // sees what it would have seen; a crash (SIGSEGV, V8's SIGABRT) is reported as an exit code only.
  if (TERMINATION_SIGNALS.includes(ended.signal)) process.kill(process.pid, ended.signal);
  return 128 + (os.constants.signals[ended.signal] ?? 0);
}
