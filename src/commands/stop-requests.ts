/**
 * Stop requests (Ctrl-C, SIGTERM), however they reach the process that does the work.
 *
 * Usually that is the process's own SIGINT and SIGTERM. When the CLI has re-started itself (see
 * relaunch.ts), the same Ctrl-C reaches two processes: a terminal signals its whole foreground
 * process group, so the worker gets it from the terminal and again from its launcher, which
 * forwards what it receives (a supervisor's `kill` reaches the launcher alone). Each of the two
 * copies waits a moment for its twin, so one press is one request and two presses are two.
 * (Only Node is ever re-started; on Deno, as on Node without a launcher, a signal is a request.)
 */
import process from "node:process";
import { ExitCode } from "../common/exit-codes.ts";

/** The signals that ask voxbench to stop. */
export type StopSignal = "SIGINT" | "SIGTERM";

const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM"];

/**
 * How long one copy of a signal waits for its twin from the other path. A launcher that is only
 * waiting on its child forwards within a millisecond or two; a busy worker handles both copies when
 * its event loop comes round, one right after the other.
 */
const TWIN_WINDOW_MS = 1000;

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

/** Where a copy of a signal came from: this process's own signal, or its launcher's message. */
type Source = "direct" | "launcher";

interface Copy {
  readonly signal: StopSignal;
  readonly source: Source;
  /** Whether this copy has been acted on (a twin that arrives later is then dropped). */
  delivered: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

const listeners = new Set<(signal: StopSignal) => void>();
/** Copies waiting for their twin from the other path. */
const waiting: Copy[] = [];
let attachedToLauncher = false;

function deliver(signal: StopSignal): void {
  if (listeners.size > 0) {
    for (const listener of [...listeners]) listener(signal);
    return;
  }
  // Nobody is listening (start-up, or after the work): end as the signal's default action does.
  for (const name of STOP_SIGNALS) process.off(name, DIRECT_SIGNAL_HANDLERS[name]);
  process.kill(process.pid, signal);
  process.exit(ExitCode.Interrupted);
}

function forget(copy: Copy): void {
  const index = waiting.indexOf(copy);
  if (index >= 0) waiting.splice(index, 1);
  clearTimeout(copy.timer);
}

/** Keeps `copy` waiting for its twin for one window; `then` runs if none came. */
function wait(copy: Copy, then: () => void): void {
  copy.timer = setTimeout(then, TWIN_WINDOW_MS);
  // Never keeps a finished process alive.
  (copy.timer as { unref?: () => void }).unref?.();
}

/** One copy arrived from `source`: it is the twin of a waiting copy from the other path, or new. */
function arrive(signal: StopSignal, source: Source): void {
  const twin = waiting.find((copy) => copy.signal === signal && copy.source !== source);
  if (twin) {
    forget(twin);
    // The twin waited without acting (a direct copy): the request is acted on now.
    if (!twin.delivered) deliver(signal);
    return;
  }
  const copy: Copy = { signal, source, delivered: false };
  waiting.push(copy);
  if (source === "launcher") {
    // The launcher's copy acts at once: it is the only one a supervisor's kill of the launcher sends.
    copy.delivered = true;
    deliver(signal);
    wait(copy, () => forget(copy));
    return;
  }
  // A direct copy acts only if the launcher's never comes (someone signalled this process alone).
  // Timers run before pending input is read, so after a stalled loop the launcher's copy may already
  // be waiting in the channel: it gets one more read (setImmediate runs after the poll phase), and
  // if it comes even later it is still taken as this copy's twin for another window.
  wait(copy, () =>
    setImmediate(() => {
      if (!waiting.includes(copy)) return;
      copy.delivered = true;
      deliver(signal);
      wait(copy, () => forget(copy));
    }),
  );
}

function onDirectSignal(signal: StopSignal): void {
  if (attachedToLauncher) arrive(signal, "direct");
  else deliver(signal);
}

/** One handler per signal, so each knows its name whatever the runtime passes it. */
const DIRECT_SIGNAL_HANDLERS: Readonly<Record<StopSignal, () => void>> = {
  SIGINT: () => onDirectSignal("SIGINT"),
  SIGTERM: () => onDirectSignal("SIGTERM"),
};

function isForwardedSignal(message: unknown): message is ForwardedSignal {
  const signal = (message as Partial<ForwardedSignal> | null)?.voxbenchSignal;
  return signal !== undefined && STOP_SIGNALS.includes(signal);
}

/**
 * Calls `listener` once per stop request until the returned function is called. While nothing
 * listens, SIGINT and SIGTERM keep their default action (end the process).
 *
 * @example
 * ```ts
 * import { onStopRequest } from "./stop-requests.ts";
 * const stopListening = onStopRequest((signal) => console.log(`stopping on ${signal}`));
 * stopListening();
 * ```
 */
export function onStopRequest(listener: (signal: StopSignal) => void): () => void {
  if (listeners.size === 0 && !attachedToLauncher) for (const name of STOP_SIGNALS) process.on(name, DIRECT_SIGNAL_HANDLERS[name]);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && !attachedToLauncher) for (const name of STOP_SIGNALS) process.off(name, DIRECT_SIGNAL_HANDLERS[name]);
  };
}

/**
 * When voxbench's launcher started this process (see relaunch.ts), takes its stop requests over
 * the IPC channel, pairing each with the copy of the same signal the terminal sent this process
 * directly, and tells the launcher so. The channel never keeps the process alive; if the launcher
 * is gone, that is a stop request (the results so far are still written). The launcher's marker is
 * removed from the environment, so processes started from here do not inherit it.
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
  for (const name of STOP_SIGNALS) {
    process.off(name, DIRECT_SIGNAL_HANDLERS[name]);
    process.on(name, DIRECT_SIGNAL_HANDLERS[name]);
  }
  // The channel is null once the launcher has gone (it may die while this process starts).
  const channel = (process as { channel?: { unref(): void } | null }).channel;
  if (typeof process.send !== "function" || !process.connected || !channel) {
    deliver("SIGTERM");
    return true;
  }
  process.on("message", (message: unknown) => {
    if (isForwardedSignal(message)) arrive(message.voxbenchSignal, "launcher");
  });
  process.once("disconnect", () => deliver("SIGTERM"));
  process.send({ voxbenchReady: true } satisfies ReadyMessage, () => {});
  channel.unref();
  return true;
}
