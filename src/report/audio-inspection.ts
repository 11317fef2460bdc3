import type { AudioInspection } from "../audio/inspect.ts";
import { showControlCharacters } from "../common/printable.ts";

const ms = (value: number | undefined): string => (value === undefined ? "?" : `${value.toFixed(1)} ms`);

/**
 * Formats one file's inspection for the terminal (`voxbench audio` without --json). The file name
 * and the chunk ids (four bytes taken from the file) are shown with {@link showControlCharacters}.
 *
 * @example
 * ```ts
 * import { formatAudioInspection } from "./audio-inspection.ts";
 * console.log(formatAudioInspection({ file: "bad.wav", error: "not a WAV file" })); // "bad.wav\n  error      not a WAV file"
 * ```
 */
export function formatAudioInspection(report: AudioInspection): string {
  const file = showControlCharacters(report.file);
  if (report.error !== undefined) return `${file}\n  error      ${showControlCharacters(report.error)}`;
  const segments = report.speechSegments ?? [];
  const speech = segments.length === 0
    ? "none detected"
    : `${
      segments.map((segment) => `${segment.startMs.toFixed(0)}-${segment.endMs.toFixed(0)}`).join(", ")
    } ms ` +
      `(${ms(report.speechMs)} in ${segments.length} segment${segments.length === 1 ? "" : "s"})`;
  const chunks = (report.chunks ?? []).map((id) => showControlCharacters(id.trim())).join(", ");
  const lines = [
    file,
    `  format     ${report.container} ${report.encoding} ${report.bitDepth}-bit${
      report.extensible ? " (extensible)" : ""
    }, ` +
    `${report.channels} ch, ${report.sampleRate} Hz  [chunks: ${chunks}]`,
    `  duration   ${ms(report.durationMs)}   level ${report.rmsDbfs?.toFixed(1)} dBFS RMS${
      report.role ? `   role ${report.role}` : ""
    }`,
    `  speech     ${speech}`,
  ];
  const conversion = report.conversion;
  if (conversion) {
    lines.push(
      `  sent as    ${conversion.encoding} @ ${conversion.sampleRate} Hz: ${conversion.bytes} bytes, ` +
        `${ms(conversion.durationMs)}, ${conversion.rmsDbfs.toFixed(1)} dBFS RMS`,
    );
  }
  return lines.join("\n");
}
