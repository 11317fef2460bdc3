/**
 * Runs the real `voxbench` CLI in a child process on the runtime running the tests (Node with tsx,
 * or Deno), so each runner checks the CLI on its own runtime.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

/** The command line that runs a TypeScript entry point on this runtime. */
export function runtimeCommand(entry: string): string[] {
  // tsx by absolute URL: a bare "tsx" would be resolved from the child's working directory.
  return isDeno
    ? [process.execPath, "run", "-A", entry]
    : [process.execPath, "--import", import.meta.resolve("tsx"), entry];
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  readonly child: ReturnType<typeof spawn>;
  readonly done: Promise<CliResult>;
  /** Resolves once stdout or stderr has printed text matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  /**
   * Sends a signal with process.kill: Deno's child.kill() makes the child's exit status read as
   * "killed by that signal" even when the child handled it and exited normally.
   */
  signal(name: NodeJS.Signals): void;
  /**
   * Signals the CLI's whole process group, as a terminal's Ctrl-C does (needs `detached`, which
   * makes the CLI the leader of its own group).
   */
  signalGroup(name: NodeJS.Signals): void;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Start the CLI as the leader of a new process group (see {@link CliRun.signalGroup}). */
  detached?: boolean;
  /** A command that runs the CLI's command line given as its last arguments (e.g. unshare ... sh -c '... exec "$@"'). */
  wrapper?: readonly string[];
}

/** Starts the CLI with `args`; the caller awaits `done` (and may signal `child`). */
export function startCli(args: readonly string[], options: CliOptions = {}): CliRun {
  const [command, ...prefix] = [...(options.wrapper ?? []), ...runtimeCommand(CLI)];
  const child = spawn(command!, [...prefix, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: (text: string) => void }[] = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(stdout + stderr);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match[0]);
      }
    }
  };
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    check();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    check();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    signal: (name) => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, name);
    },
    signalGroup: (name) => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, name);
    },
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        void done.then((result) =>
          reject(
            new Error(
              `CLI exited (${result.code}) before printing ${pattern}:\n${result.stdout}\n${result.stderr}`,
            ),
          )
        );
      }),
  };
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** A `voxbench serve` process and a scratch folder for the exports of the runs against it. */
export interface BotFixture {
  readonly url: string;
  readonly dir: string;
  /** SIGTERMs the bot, waits for it to exit and removes the folder. */
  close(): Promise<void>;
}

/**
 * Starts the reference bot as its own process (as a user would run it) with `serveArgs` on a free
 * port, and makes a temporary folder named after `name`.
 */
export async function startBotProcess(name: string, serveArgs: readonly string[]): Promise<BotFixture> {
  const dir = await mkdtemp(join(tmpdir(), `voxbench-${name}-`));
  const server = startCli(["serve", "--port", "0", ...serveArgs]);
  const ready = await server.waitFor(/Server ready on port (\d+)/);
  return {
    url: `ws://127.0.0.1:${/(\d+)/.exec(ready)![1]}/ws`,
    dir,
    close: async () => {
      server.signal("SIGTERM");
      await server.done;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
