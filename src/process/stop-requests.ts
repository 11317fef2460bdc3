/**
 * Stop requests (Ctrl-C, SIGTERM), however they reach the process that does the work.
 *
 * One user action often arrives more than once: a terminal's Ctrl-C signals the whole foreground
 * process group, GNU `timeout` signals its child and then the child's group, and when the CLI has
 * re-started itself (relaunch.ts) its launcher forwards every signal it gets over IPC. So every
 * copy that arrives within {@link DUPLICATE_WINDOW_MS} of the first request is that same request;
 * a signal later than that is a second, deliberate request (which quits at once).
 *
 * A process started by npm (`npx voxbench`, `npm run`) also stops when its parent disappears: npm
 * passes a signal to the shell it started, which dies without passing it on, and would leave
 * voxbench running in the background.
 */
import process from "node:process";
import { monotonicNowMs } from "../common/clock.ts";
import { ExitCode } from "../common/exit-codes.ts";

/** The signals that ask voxbench to stop. */
export type StopSignal = "SIGINT" | "SIGTERM";

const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM"];

/** Copies of one request arrive within this of each other (the slowest path is a launcher's IPC). */
export const DUPLICATE_WINDOW_MS = 1000;

/** How often a process started by npm checks that its parent is still there. */
const PARENT_CHECK_INTERVAL_MS = 250;

/** Set in the environment of a process the launcher starts: its launcher forwards signals over IPC. */
export const LAUNCHED_ENV = "VOXBENCH_LAUNCHED";

/** The message a launcher sends its worker for each signal it receives. */
export interface ForwardedSignal {
  readonly voxbenchSignal: StopSignal;
}

/** The message a worker sends its launcher once it takes forwarded signals. */
export interface ReadyMessage {
  readonly voxbenchReady: true;
}

/**
 * Whether an IPC message is a worker's {@link ReadyMessage}.
 *
 * @example
 * ```ts
 * import { isReadyMessage } from "./stop-requests.ts";
 * console.log(isReadyMessage({ voxbenchReady: true })); // true
 * ```
 */
export function isReadyMessage(message: unknown): message is ReadyMessage {
  return (message as Partial<ReadyMessage> | null)?.voxbenchReady === true;
}

const listeners = new Set<(signal: StopSignal) => void>();
let firstRequestAtMs: number | undefined;
let attachedToLauncher = false;
let stopWatchingParent: (() => void) | undefined;

/** One copy of a stop signal arrived, from any path. */
function arrive(signal: StopSignal): void {
  if (listeners.size === 0) {
    // Nobody is listening (start-up, or after the work): end as the signal's default action does.
    for (const name of STOP_SIGNALS) process.off(name, DIRECT_SIGNAL_HANDLERS[name]);
    process.kill(process.pid, signal);
    process.exit(ExitCode.Interrupted);
  }
  const nowMs = monotonicNowMs();
  if (firstRequestAtMs !== undefined && nowMs - firstRequestAtMs < DUPLICATE_WINDOW_MS) return;
  firstRequestAtMs ??= nowMs;
  for (const listener of [...listeners]) listener(signal);
}

/** One handler per signal, so each knows its name whatever the runtime passes it. */
const DIRECT_SIGNAL_HANDLERS: Readonly<Record<StopSignal, () => void>> = {
  SIGINT: () => arrive("SIGINT"),
  SIGTERM: () => arrive("SIGTERM"),
};

function isForwardedSignal(message: unknown): message is ForwardedSignal {
  const signal = (message as Partial<ForwardedSignal> | null)?.voxbenchSignal;
  return signal !== undefined && STOP_SIGNALS.includes(signal);
}

/** Whether npm (npx, npm exec, npm run) started this process: its parent shell may die without passing a signal on. */
export function startedByNpm(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env.npm_lifecycle_event !== undefined || env.npm_command !== undefined;
}

/**
 * Calls `onGone` once if this process's parent disappears (it is then re-parented), checking every
 * 250 ms on a timer that never keeps the process alive. Returns a function that stops watching.
 *
 * @example
 * ```ts
 * import { watchParent } from "./stop-requests.ts";
 * const stop = watchParent(() => console.log("orphaned"));
 * stop();
 * ```
 */
export function watchParent(onGone: () => void): () => void {
  const parentPid = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(timer);
    onGone();
  }, PARENT_CHECK_INTERVAL_MS);
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}

/**
 * Calls `listener` once per stop request until the returned function is called: the first request,
 * then any later one more than {@link DUPLICATE_WINDOW_MS} after it (copies of the same signal in
 * between are dropped). While nothing listens, SIGINT and SIGTERM keep their default action (end
 * the process). A process started by npm also gets a SIGTERM request when its parent disappears.
 *
 * @example
 * ```ts
 * import { onStopRequest } from "./stop-requests.ts";
 * const stopListening = onStopRequest((signal) => console.log(`stopping on ${signal}`));
 * stopListening();
 * ```
 */
export function onStopRequest(listener: (signal: StopSignal) => void): () => void {
  if (listeners.size === 0) {
    firstRequestAtMs = undefined;
    if (!attachedToLauncher) {
      for (const name of STOP_SIGNALS) process.on(name, DIRECT_SIGNAL_HANDLERS[name]);
    }
    if (startedByNpm()) stopWatchingParent = watchParent(() => arrive("SIGTERM"));
  }
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0) return;
    stopWatchingParent?.();
    stopWatchingParent = undefined;
    if (!attachedToLauncher) {
      for (const name of STOP_SIGNALS) process.off(name, DIRECT_SIGNAL_HANDLERS[name]);
    }
  };
}

/**
 * When voxbench's launcher started this process (see relaunch.ts), also takes its stop requests
 * over the IPC channel, and tells the launcher so. The channel never keeps the process alive; if
 * the launcher is gone, that is a stop request (the results so far are still written). The
 * launcher's marker is removed from the environment, so processes started from here do not inherit it.
 *
 * @returns whether this process was started by the launcher.
 * @example
 * ```ts
 * import { attachToLauncher } from "./stop-requests.ts";
 * console.log(attachToLauncher()); // false, unless started by voxbench's launcher
 * ```
 */
export function attachToLauncher(): boolean {
  if (attachedToLauncher) return true;
  if (process.env[LAUNCHED_ENV] !== "1") return false;
  delete process.env[LAUNCHED_ENV];
  attachedToLauncher = true;
  // Signals always have a handler here: a terminal's copy must never kill the worker outright.
  for (const name of STOP_SIGNALS) {
    process.off(name, DIRECT_SIGNAL_HANDLERS[name]);
    process.on(name, DIRECT_SIGNAL_HANDLERS[name]);
  }
  // The channel is null once the launcher has gone (it may die while this process starts).
  const channel = (process as { channel?: { unref(): void } | null }).channel;
  if (typeof process.send !== "function" || !process.connected || !channel) {
    arrive("SIGTERM");
    return true;
  }
  process.on("message", (message: unknown) => {
    if (isForwardedSignal(message)) arrive(message.voxbenchSignal);
  });
  process.once("disconnect", () => arrive("SIGTERM"));
  process.send({ voxbenchReady: true } satisfies ReadyMessage, () => {});
  channel.unref();
  return true;
}
