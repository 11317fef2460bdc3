#!/usr/bin/env node
/**
 * The `voxbench` command: wiring only. Each command's work lives in src/commands/; this file maps
 * flags to them and turns every failure into one line and a defined exit code.
 */
import process from "node:process";
import { cac } from "cac";
import { audioCommand } from "./commands/audio-command.ts";
import { UsageError } from "./common/errors.ts";
import { ExitCode } from "./common/exit-codes.ts";
import { VERSION } from "./version.ts";

const cli = cac("voxbench");

cli
  .command("audio <...files>", "Inspect WAV files the way a load test will use them")
  .option("--sample-rate <hz>", "Target sample rate for the conversion check (8000, 16000, 24000, 48000)")
  .option("--encoding <encoding>", "Target encoding: pcm16 or mulaw (mu-law is 8000 Hz)", { default: "pcm16" })
  .option("--json", "Print one JSON object per file")
  .example("voxbench audio fixtures/*.wav --encoding mulaw")
  .action((files: string[], options) => audioCommand(files, options));

cli.help();
cli.version(VERSION);

/** Runs the CLI on `argv` and resolves to the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  try {
    cli.parse([...argv], { run: false });
    if (cli.options.help || cli.options.version) return ExitCode.Ok;
    if (!cli.matchedCommand) {
      const name = cli.args[0];
      throw new UsageError(name ? `unknown command "${name}" (see voxbench --help)` : "no command given (see voxbench --help)");
    }
    const code: unknown = await cli.runMatchedCommand();
    return typeof code === "number" ? code : ExitCode.Ok;
  } catch (error) {
    return reportFailure(error);
  }
}

function reportFailure(error: unknown): number {
  if (error instanceof UsageError || (error instanceof Error && error.name === "CACError")) {
    process.stderr.write(`voxbench: ${error.message}\n`);
    return ExitCode.Usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`voxbench: internal error: ${message.split("\n")[0]}\n`);
  return 70;
}

process.exitCode = await main(process.argv);
