/**
 * Headless Chromium (Debian's `chromium`) driven over the DevTools protocol with `ws`: open a page
 * with the network off, collect its console errors and exceptions, evaluate expressions in it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import WebSocket from "ws";

export interface BrowserPage {
  /** Console errors, uncaught exceptions and failed loads, as text. */
  readonly errors: string[];
  /** Evaluates `expression` in the page and returns its value (JSON-serializable). */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG screenshot of the page's full height. */
  screenshot(): Promise<Uint8Array>;
  close(): Promise<void>;
}

const CHROMIUM = process.env.CHROMIUM ?? "chromium";

/** Starts Chromium, opens `url` offline, and resolves once it has loaded. */
export async function openInChromium(url: string, size = { width: 1200, height: 900 }): Promise<BrowserPage> {
  const profile = await mkdtemp(join(tmpdir(), "voxbench-chromium-"));
  const child: ChildProcess = spawn(CHROMIUM, [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--hide-scrollbars",
    `--window-size=${size.width},${size.height}`,
    `--user-data-dir=${profile}`,
    "--remote-debugging-port=0",
    "about:blank",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  const browserUrl = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.on(
      "error",
      (error) =>
        reject(new Error(`cannot start ${CHROMIUM} (install Debian's chromium package): ${error.message}`)),
    );
    child.stderr!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.on("exit", (code) => reject(new Error(`${CHROMIUM} exited (${code}): ${text.slice(-500)}`)));
  });
  const port = new URL(browserUrl).port;
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
    type: string;
    webSocketDebuggerUrl: string;
  }[];
  const socket = new WebSocket(targets.find((target) => target.type === "page")!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const listeners = new Map<string, (params: Record<string, unknown>) => void>();
  const errors: string[] = [];
  socket.on("message", (raw) => {
    const message = JSON.parse(String(raw)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
      method?: string;
      params?: Record<string, unknown>;
    };
    if (message.id !== undefined) {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
    } else if (message.method) {
      listeners.get(message.method)?.(message.params ?? {});
    }
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}): Promise<T> => {
    const id = nextId++;
    socket.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((resolve, reject) =>
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
    );
  };
  listeners.set("Runtime.exceptionThrown", (params) => {
    const details = params.exceptionDetails as { text?: string; exception?: { description?: string } };
    errors.push(`exception: ${details.exception?.description ?? details.text}`);
  });
  listeners.set("Runtime.consoleAPICalled", (params) => {
    if (params.type === "error") errors.push(`console.error: ${JSON.stringify(params.args)}`);
  });
  listeners.set("Log.entryAdded", (params) => {
    const entry = params.entry as { level: string; text: string; url?: string };
    if (entry.level === "error") errors.push(`log: ${entry.text} ${entry.url ?? ""}`);
  });
  const loaded = new Promise<void>((resolve) => listeners.set("Page.loadEventFired", () => resolve()));
  await send("Page.enable");
  await send("Runtime.enable");
  await send("Log.enable");
  await send("Network.enable");
  await send("Network.emulateNetworkConditions", {
    offline: true,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });
  await send("Page.navigate", { url });
  await loaded;
  return {
    errors,
    async evaluate<T>(expression: string): Promise<T> {
      const result = await send<{ result: { value: T }; exceptionDetails?: { text: string } }>(
        "Runtime.evaluate",
        { expression, returnByValue: true, awaitPromise: true },
      );
      if (result.exceptionDetails) throw new Error(`evaluate: ${result.exceptionDetails.text}`);
      return result.result.value;
    },
    async screenshot(): Promise<Uint8Array> {
      const { data } = await send<{ data: string }>("Page.captureScreenshot", {
        format: "png",
        captureBeyondViewport: true,
      });
      return Uint8Array.from(atob(data), (character) => character.charCodeAt(0));
    },
    async close(): Promise<void> {
      socket.close();
      child.kill("SIGKILL");
      await new Promise((resolve) =>
        child.exitCode !== null ? resolve(undefined) : child.once("exit", resolve)
      );
      // Chromium's helper processes outlive the killed browser for a moment and may still write
      // into the profile: a removal racing them fails with ENOTEMPTY, so it is tried again.
      for (let attempt = 1;; attempt++) {
        try {
          await rm(profile, { recursive: true, force: true });
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== "ENOTEMPTY" || attempt === 10) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
  };
}
