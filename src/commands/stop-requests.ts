/**
 * Stop requests (Ctrl-C, SIGTERM), however they reach the process that does the work.
 *
 * Usually that is the process's own SIGINT and SIGTERM. When the CLI has re-started itself (see
 * relaunch.ts), the same Ctrl-C reaches two processes: a terminal signals its whole foreground
 * process group, so the worker gets it from the terminal and again from its launcher, which
 * forwards what it receives (a supervisor's `kill` reaches the launcher alone). Each of the two
 * copies waits a moment for its twin, so one press is one request and two presses are two.
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

type Source = "own" | "launcher";

interface Unmatched {
  readonly signal: StopSignal;
  readonly source: Source;
  timer?: ReturnType<typeof setTimeout>;
}

const listeners = new Set<(signal: StopSignal) => void>();
const unmatched: Unmatched[] = [];
let attachedToLauncher = false;

function deliver(signal: StopSignal): void {
  if (listeners.size > 0) {
    for (const listener of [...listeners]) listener(signal);
    return;
  }
  // Nobody is listening (start-up, or after the work): end as the signal's default action would.
  for (const name of STOP_SIGNALS) process.off(name, OWN_SIGNAL_HANDLERS[name]);
  process.exit(ExitCode.Interrupted);
}

/** One copy arrived from `source`: it is the twin of a waiting copy from the other path, or new. */
function arrive(signal: StopSignal, source: Source): void {
  const twin = unmatched.findIndex((entry) => entry.signal === signal && entry.source !== source);
  if (twin >= 0) {
    const [waiting] = unmatched.splice(twin, 1);
    clearTimeout(waiting!.timer);
    // The terminal's copy came first and has waited for this one: the request is acted on now.
    if (waiting!.source === "own") deliver(signal);
    return;
  }
  // The launcher's copy acts at once (it is the one a supervisor's kill sends); the terminal's own
  // copy acts only if the launcher's never comes (someone signalled this process alone).
  if (source === "launcher") deliver(signal);
  const entry: Unmatched = { signal, source };
  entry.timer = setTimeout(() => {
    unmatched.splice(unmatched.indexOf(entry), 1);
    if (source === "own") deliver(signal);
  }, TWIN_WINDOW_MS);
  // Never keeps a finished process alive.
  (entry.timer as { unref?: () => void }).unref?.();
  unmatched.push(entry);
}

function onOwnSignal(signal: StopSignal): void {
  if (attachedToLauncher) arrive(signal, "own");
  else deliver(signal);
}

/** One handler per signal, so each knows its name whatever the runtime passes it. */
const OWN_SIGNAL_HANDLERS: Readonly<Record<StopSignal, () => void>> = {
  SIGINT: () => onOwnSignal("SIGINT"),
  SIGTERM: () => onOwnSignal("SIGTERM"),
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
  if (listeners.size === 0 && !attachedToLauncher) for (const name of STOP_SIGNALS) process.on(name, OWN_SIGNAL_HANDLERS[name]);
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && !attachedToLauncher) for (const name of STOP_SIGNALS) process.off(name, OWN_SIGNAL_HANDLERS[name]);
  };
}

/**
 * Takes stop requests from the launcher that started this process over its IPC channel, pairing
 * each with the copy of the same signal the terminal sent this process. The channel never keeps the
 * process alive; if the launcher dies, that is a stop request (the results so far are still
 * written). Does nothing without an IPC channel.
 *
 * @returns whether a launcher's channel was found.
 * @example
 * ```ts
 * import { attachToLauncher } from "./stop-requests.ts";
 * console.log(attachToLauncher()); // false, unless started by voxbench's launcher
 * ```
 */
export function attachToLauncher(): boolean {
  if (attachedToLauncher) return true;
  const channel = (process as { channel?: { unref(): void } }).channel;
  if (typeof process.send !== "function" || channel === undefined) return false;
  attachedToLauncher = true;
  for (const name of STOP_SIGNALS) {
    process.off(name, OWN_SIGNAL_HANDLERS[name]);
    process.on(name, OWN_SIGNAL_HANDLERS[name]);
  }
  process.on("message", (message: unknown) => {
    if (isForwardedSignal(message)) arrive(message.voxbenchSignal, "launcher");
  });
  process.once("disconnect", () => deliver("SIGTERM"));
  process.send({ voxbenchReady: true } satisfies ReadyMessage);
  channel.unref();
  return true;
}
