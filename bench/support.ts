/** What the bench scripts share: reading their options, and a reference bot in its own process. */
import { spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** `--name value` from the command line, or the fallback. */
export function option(name: string, fallback: string): string {
  const args = process.argv.slice(2);
  const index = args.indexOf(name);
  return index >= 0 && args[index + 1] ? args[index + 1]! : fallback;
}

/** The reference bot's /health JSON. */
export function health(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    request(`http://127.0.0.1:${port}/health`, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve(JSON.parse(body) as Record<string, number>));
    })
      .on("error", reject)
      .end();
  });
}

/**
 * Starts `voxbench serve` with `args` on Node or Deno in its own process (with `runtimeFlags` for
 * the runtime itself, e.g. V8 flags); resolves once it listens.
 */
export async function startServerProcess(
  runtime: string,
  args: readonly string[],
  runtimeFlags: readonly string[] = [],
): Promise<{ port: number; url: string; stop: () => Promise<void> }> {
  const cli = join(ROOT, "src/cli.ts");
  const [command, ...prefix] = runtime === "deno"
    ? [join(ROOT, "node_modules/deno/deno"), "run", "-A", ...runtimeFlags, cli]
    : [process.execPath, ...runtimeFlags, "--import", "tsx", cli];
  const child = spawn(command!, [...prefix, "serve", "--port", "0", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "ignore"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /Server ready on port (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.on("exit", () => reject(new Error("the reference bot exited before it was ready")));
  });
  return {
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    stop: () =>
      new Promise((resolve) => {
        child.on("close", () => resolve());
        process.kill(child.pid!, "SIGTERM");
      }),
  };
}
