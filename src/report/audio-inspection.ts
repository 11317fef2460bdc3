import type { AudioInspection } from "../audio/inspect.ts";

const ms = (value: number | undefined): string => (value === undefined ? "?" : `${value.toFixed(1)} ms`);

/**
 * Formats one file's inspection for the terminal (`voxbench audio` without --json).
 *
 * @example
 * ```ts
 * import { formatAudioInspection } from "./audio-inspection.ts";
 * console.log(formatAudioInspection({ file: "bad.wav", error: "not a WAV file" })); // "bad.wav\n  error      not a WAV file"
 * ```
 */
export function formatAudioInspection(report: AudioInspection): string {
  if (report.error !== undefined) return `${report.file}\n  error      ${report.error}`;
  const segments = report.speechSegments ?? [];
  const speech =
    segments.length === 0
      ? "none detected"
      : `${segments.map((segment) => `${segment.startMs.toFixed(0)}-${segment.endMs.toFixed(0)}`).join(", ")} ms ` +
        `(${ms(report.speechMs)} in ${segments.length} segment${segments.length === 1 ? "" : "s"})`;
  const lines = [
    report.file,
    `  format     ${report.container} ${report.encoding} ${report.bitDepth}-bit${report.extensible ? " (extensible)" : ""}, ` +
      `${report.channels} ch, ${report.sampleRate} Hz  [chunks: ${(report.chunks ?? []).map((id) => id.trim()).join(", ")}]`,
    `  duration   ${ms(report.durationMs)}   level ${report.rmsDbfs?.toFixed(1)} dBFS RMS${report.role ? `   role ${report.role}` : ""}`,
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
