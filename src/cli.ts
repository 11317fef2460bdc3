#!/usr/bin/env node
/**
 * The `voxbench` command: wiring only. Each command's work lives in src/commands/; this file maps
 * flags to them and turns every failure into one line and a defined exit code.
 */
import process from "node:process";
import { cac } from "cac";
import { AUDIO_FLAGS, audioCommand } from "./commands/audio-command.ts";
import { serveCommand } from "./commands/serve-command.ts";
import { runCommand } from "./commands/run-command.ts";
import { demoCommand } from "./commands/demo-command.ts";
import { RUN_FLAGS } from "./commands/run-flags.ts";
import { COMPARE_FLAGS, compareCommand } from "./commands/compare-command.ts";
import { MERGE_FLAGS, mergeCommand } from "./commands/merge-command.ts";
import { capacityCommand } from "./commands/capacity-command.ts";
import { reportCommand } from "./commands/report-command.ts";
import { CAPACITY_FLAGS } from "./commands/capacity-flags.ts";
import { SERVE_FLAGS } from "./commands/serve-flags.ts";
import { UsageError } from "./common/errors.ts";
import { ExitCode } from "./common/exit-codes.ts";
import { versionLine } from "./version.ts";
import { createRedactor, type Redactor } from "./common/redact.ts";
import { sanitizeForTerminal } from "./report/sanitize.ts";
import { keepYoungGenerationSmall } from "./common/young-generation.ts";
import { attachToLauncher } from "./process/stop-requests.ts";

keepYoungGenerationSmall();
// Started by our own launcher (src/commands/relaunch.ts)? Then take its forwarded signals.
attachToLauncher();

const cli = cac("voxbench");

type Command = ReturnType<typeof cli.command>;

/** The flags of `run`, the default command and `demo` (defaults are applied in src/load/options.ts). */
function withRunOptions(command: Command, options: { server: boolean }): Command {
  for (const flag of RUN_FLAGS) {
    if (flag.name === "--server <url>" && !options.server) continue;
    command.option(flag.name, flag.description);
  }
  return command.option(
    "--config <file>",
    "Read options from a JSON file (default: ./voxbench.config.json if present); flags override it",
  );
}

const audio = cli.command("audio <...files>", "Inspect WAV files the way a load test will use them");
for (const flag of AUDIO_FLAGS) audio.option(flag.name, flag.description);
audio
  .example("voxbench audio fixtures/*.wav --encoding mulaw")
  .action((files: string[], options) => audioCommand(files, options));

withRunOptions(cli.command("", "Run a load test (the same as voxbench run)"), { server: true }).action(
  (options) => {
    const stray = cli.args[0];
    if (stray !== undefined) throw new UsageError(`unknown command "${stray}" (see voxbench --help)`);
    return runCommand(options);
  },
);
withRunOptions(cli.command("run", "Run a load test against a voice bot"), { server: true })
  .example("voxbench run --server ws://localhost:8000/ws --concurrency 10 --requests 5")
  .example("voxbench run --simple 0.0 --tools 0.0 --interruptions 1.0 --false-alarms 0.0 --concurrency 5")
  .action((options) => runCommand(options));
withRunOptions(cli.command("demo", "Start the reference bot in-process and run the default mix against it"), {
  server: false,
})
  .example("voxbench demo --concurrency 5 --requests 2")
  .action((options) => demoCommand(options));

cli
  .command("report [folder]", "Rebuild a run folder's report.html (charts, one offline page) from its files")
  .example("voxbench report exports/20261128-031500-ab12")
  .action((folder: string | undefined) => reportCommand(folder));

const capacity = withRunOptions(
  cli.command(
    "capacity",
    "Find the highest load that meets every --threshold: step the load up, then bisect",
  ),
  { server: true },
);
for (const flag of CAPACITY_FLAGS) capacity.option(flag.name, flag.description);
capacity
  .example(
    "voxbench capacity --server ws://localhost:8000/ws --threshold 'ttft.p95<1000' --step 10 --hold 30s",
  )
  .example("voxbench capacity --mode arrival --step 0.5 --turns-per-call 4-8 --threshold 'ttft.p95<1000'")
  .action((options) => capacityCommand(options));

const serve = cli.command(
  "serve",
  "Run the reference voice bot on ws://HOST:PORT/ws in any --protocol (openai-realtime also on /v1/realtime)",
);
for (const flag of SERVE_FLAGS) serve.option(flag.name, flag.description);
serve
  .example("voxbench serve --port 8000 --done-event --log-turns turns.jsonl")
  .action((options) => serveCommand(options));

const compare = cli.command(
  "compare [baseline] [candidate]",
  "Compare two runs; exit 1 on a significant regression",
);
for (const flag of COMPARE_FLAGS) compare.option(flag.name, flag.description);
compare
  .example("voxbench compare exports/baseline exports/20261128-031500-ab12")
  .action((baseline: string | undefined, candidate: string | undefined, options) =>
    compareCommand(baseline, candidate, options)
  );

const merge = cli.command(
  "merge [...folders]",
  "Merge the run folders of a test's shards (--shard i/n) into one run",
);
for (const flag of MERGE_FLAGS) merge.option(flag.name, flag.description);
merge
  .example(
    "voxbench merge results/load-42-shard-0-of-3 results/load-42-shard-1-of-3 results/load-42-shard-2-of-3 --export-dir results",
  )
  .action((folders: string[], options) => mergeCommand(folders, options));

cli.help();
cli.option("-v, --version", "Display version number");

/**
 * `--concurrency -1` would reach the flag parser as a flag named "-1"; joined as
 * `--concurrency=-1` it reaches the value check, which says what is wrong with it.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!;
    const next = argv[index + 1];
    if (token.startsWith("--") && !token.includes("=") && next !== undefined && /^-\d+(\.\d+)?$/.test(next)) {
      joined.push(`${token}=${next}`);
      index++;
    } else {
      joined.push(token);
    }
  }
  return joined;
}

/** Runs the CLI on `argv` and resolves to the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  try {
    cli.parse(joinNegativeValues(argv), { run: false });
    if (cli.options.help) return ExitCode.Ok;
    if (cli.options.version) {
      process.stdout.write(`${versionLine()}\n`);
      return ExitCode.Ok;
    }
    if (!cli.matchedCommand) {
      const name = cli.args[0];
      throw new UsageError(
        name ? `unknown command "${name}" (see voxbench --help)` : "no command given (see voxbench --help)",
      );
    }
    const code: unknown = await cli.runMatchedCommand();
    return typeof code === "number" ? code : ExitCode.Ok;
  } catch (error) {
    return reportFailure(error);
  }
}

/**
 * The secrets given on the command line (--server's URL, --header values), so that no failure line
 * can show them, whatever produced it: the last line of defence behind each message's own care.
 */
function commandLineRedactor(argv: readonly string[]): Redactor {
  let server = "";
  const headers: Record<string, string> = {};
  argv.forEach((token, index) => {
    const [flag, inline] = token.startsWith("--") && token.includes("=")
      ? [token.slice(0, token.indexOf("=")), token.slice(token.indexOf("=") + 1)]
      : [token, argv[index + 1]];
    if (inline === undefined) return;
    if (flag === "--server") server = inline;
    if (flag === "--header") {
      headers[`h${index}`] = inline.includes(":") ? inline.slice(inline.indexOf(":") + 1).trim() : inline;
    }
  });
  return createRedactor(server, headers);
}

function reportFailure(error: unknown): number {
  const redact = (text: string): string => sanitizeForTerminal(commandLineRedactor(process.argv).text(text));
  if (error instanceof UsageError || (error instanceof Error && error.name === "CACError")) {
    process.stderr.write(`voxbench: ${redact(error.message)}\n`);
    return ExitCode.Usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`voxbench: internal error: ${redact(message.split("\n")[0]!)} (please report this)\n`);
  return ExitCode.Internal;
}

// Nothing may end the process with a stack trace: a stray rejection is one line and exit 70.
const onStray = (error: unknown): void => {
  process.exitCode = reportFailure(error);
  process.exit();
};
process.on("unhandledRejection", onStray);
process.on("uncaughtException", onStray);

process.exitCode = await main(process.argv);
