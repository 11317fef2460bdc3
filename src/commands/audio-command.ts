import { inspectAudioFile } from "../audio/inspect.ts";
import { type WireEncoding, type WireFormat, wireFormatProblem } from "../audio/wire-format.ts";
import { UsageError } from "../common/errors.ts";
import { ExitCode } from "../common/exit-codes.ts";
import { parseChoice, parsePositiveInteger, type RawValue } from "../config/parse-values.ts";
import { formatAudioInspection } from "../report/audio-inspection.ts";
import { showControlCharacters } from "../common/printable.ts";
import type { FlagSpec } from "./flag-spec.ts";

/** Every flag of `voxbench audio`, with its help text. */
export const AUDIO_FLAGS: readonly FlagSpec[] = [
  {
    name: "--sample-rate <hz>",
    description:
      "Target sample rate for the conversion check: 8000, 16000, 24000, 48000 (default 16000; 8000 for mu-law)",
  },
  { name: "--encoding <encoding>", description: "Target encoding: pcm16 or mulaw (default pcm16)" },
  { name: "--json", description: "Print one JSON object per file" },
];

/** The target format `voxbench audio` checks files against. */
export function audioTarget(options: AudioCommandOptions): WireFormat {
  const encoding = parseChoice<WireEncoding>("--encoding", options.encoding ?? "pcm16", ["pcm16", "mulaw"]);
  const defaultRate = encoding === "mulaw" ? 8000 : 16000;
  const target: WireFormat = {
    encoding,
    sampleRateHz: parsePositiveInteger("--sample-rate", options.sampleRate ?? defaultRate),
  };
  const problem = wireFormatProblem(target);
  if (problem) throw new UsageError(`--sample-rate/--encoding: ${problem}`);
  return target;
}

/** Options of `voxbench audio`, as cac hands them over. */
export interface AudioCommandOptions {
  sampleRate?: RawValue;
  encoding?: RawValue;
  json?: RawValue;
}

/**
 * `voxbench audio <files...>`: inspects each file, reporting bad ones and carrying on; exits 2 at
 * the end when any file failed. A path that is not a regular file (a FIFO, /dev/zero, a directory)
 * is one of the bad ones, reported at once. File names are printed with their control characters
 * made visible; with --json, JSON.stringify escapes C0 controls and the rest (DEL, C1 controls,
 * bidirectional overrides) are escaped the same way, so each line still parses to the real name.
 */
export async function audioCommand(files: readonly string[], options: AudioCommandOptions): Promise<number> {
  if (files.length === 0) throw new UsageError("voxbench audio needs at least one WAV file");
  const target = audioTarget(options);
  let failures = 0;
  for (const file of files) {
    const report = await inspectAudioFile(file, target);
    if (report.error !== undefined) failures++;
    if (options.json) {
      process.stdout.write(`${showControlCharacters(JSON.stringify(report))}\n`);
    } else if (report.error !== undefined) {
      process.stderr.write(`voxbench: ${showControlCharacters(`${report.file}: ${report.error}`)}\n`);
    } else {
      process.stdout.write(`${formatAudioInspection(report)}\n`);
    }
  }
  return failures > 0 ? ExitCode.Usage : ExitCode.Ok;
}
