import type { RawValue } from "../config/parse-values.ts";
import { serve } from "../server/server.ts";
import { executeRun, withConfigFile } from "./run-command.ts";
import { parseRunFlags } from "./run-flags.ts";

/**
 * `voxbench demo`: starts the reference bot in this process on a free port (with its end, metrics
 * and tool events on), runs the default mix against it (10 callers x 3 turns unless told
 * otherwise), prints the report and writes the exports.
 */
export async function demoCommand(raw: Record<string, RawValue>): Promise<number> {
  const given = await withConfigFile(raw);
  const open = given.arrivalRate !== undefined;
  const held = given.duration !== undefined || given.stages !== undefined;
  const flags = parseRunFlags({
    ...(open || given.stages !== undefined ? {} : { concurrency: 10 }),
    ...(held ? {} : { requests: 3 }),
    ...given,
  });
  const server = await serve({
    port: 0,
    doneEvent: true,
    metricsEvents: true,
    toolEvents: true,
    seed: flags.options.seed ?? 1,
    ...(flags.options.protocol !== undefined ? { protocol: flags.options.protocol } : {}),
  });
  try {
    return await executeRun(
      flags,
      { server: server.url },
      `🚀 voxbench demo: the reference bot is listening on ${server.url} (${
        typeof flags.options.protocol === "string" ? flags.options.protocol : "speech-events"
      }); ${
        open
          ? `calls arriving at ${flags.options.arrivalRate}/s for ${flags.options.durationS} s`
          : flags.options.stages !== undefined
          ? `callers following the stages ${String(flags.options.stages)}`
          : held
          ? `${flags.options.concurrency} callers for ${flags.options.durationS} s`
          : `${flags.options.concurrency} callers x ${flags.options.requests} turns`
      }`,
    );
  } finally {
    await server.close();
  }
}
