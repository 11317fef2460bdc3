import { AudioError } from "./audio-error.ts";
import { rmsDbfs } from "./energy.ts";
import { roleFromFileName } from "./library.ts";
import { loadWavFile } from "./load-file.ts";
import { detectSpeech, speechDurationMs, type SpeechSegment, type VadOptions } from "./vad.ts";
import { decodeWireAudio, encodeForWire, type WireFormat } from "./wire-format.ts";

/** What `voxbench audio` reports for one file (`error` set, and nothing else, when it failed). */
export interface AudioInspection {
  readonly file: string;
  readonly container?: string;
  readonly encoding?: string;
  readonly extensible?: boolean;
  readonly chunks?: readonly string[];
  readonly channels?: number;
  readonly sampleRate?: number;
  readonly bitDepth?: number;
  readonly durationMs?: number;
  readonly rmsDbfs?: number;
  readonly speechSegments?: readonly SpeechSegment[];
  readonly speechMs?: number;
  /** The role its name gives it in an --audio-dir, if any. */
  readonly role?: string;
  /** The file as the load test sends it. */
  readonly conversion?: {
    readonly encoding: string;
    readonly sampleRate: number;
    readonly bytes: number;
    readonly durationMs: number;
    readonly rmsDbfs: number;
  };
  readonly error?: string;
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/**
 * Decodes a WAV file the way a run would and describes it: format, level, speech segments and the
 * result of converting it to `target`. Never throws for a bad file: the reason is in `error`. A
 * path that is not a regular file (a FIFO, /dev/zero, a directory) is such a bad file, reported
 * without being read. `file` is kept as given, control characters included; printing it is the
 * caller's concern (see showControlCharacters in src/common/printable.ts).
 *
 * @example
 * ```ts
 * import { inspectAudioFile } from "./inspect.ts";
 * const report = await inspectAudioFile("fixtures/query_01_balance.wav", { encoding: "mulaw", sampleRateHz: 8000 });
 * console.log(report.sampleRate, report.conversion?.sampleRate); // 16000 8000
 * ```
 */
export async function inspectAudioFile(
  file: string,
  target: WireFormat,
  vad?: VadOptions,
): Promise<AudioInspection> {
  try {
    const { info, clip } = await loadWavFile(file);
    const segments = detectSpeech(clip, vad);
    const encoded = encodeForWire(clip, target);
    const convertedSamples = decodeWireAudio(encoded.bytes, target);
    const role = roleFromFileName(file.split(/[\\/]/).pop() ?? file);
    return {
      file,
      container: info.container,
      encoding: info.encoding,
      extensible: info.extensible,
      chunks: info.chunkIds,
      channels: info.channels,
      sampleRate: info.sampleRateHz,
      bitDepth: info.bitDepth,
      durationMs: round(info.durationMs),
      rmsDbfs: round(rmsDbfs(clip.samples)),
      speechSegments: segments.map((segment) => ({
        startMs: round(segment.startMs),
        endMs: round(segment.endMs),
      })),
      speechMs: round(speechDurationMs(segments)),
      ...(role ? { role } : {}),
      conversion: {
        encoding: target.encoding,
        sampleRate: target.sampleRateHz,
        bytes: encoded.bytes.length,
        durationMs: round(encoded.durationMs),
        rmsDbfs: round(rmsDbfs(convertedSamples)),
      },
    };
  } catch (error) {
    if (error instanceof AudioError) return { file, error: error.reason };
    return { file, error: error instanceof Error ? error.message : String(error) };
  }
}
