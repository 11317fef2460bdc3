/**
 * The simulated client player. Playback starts when the first chunk arrives and drains in real
 * time; a chunk that arrives after the buffer ran dry leaves a gap the caller hears (an underrun).
 * Pauses (stop_playback ... playback_resume) stop the player's clock.
 */
export interface PlaybackChunk {
  readonly arrivalMs: number;
  readonly durationMs: number;
}

export interface PlaybackPause {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface PlaybackResult {
  /** When playback started (the first chunk's arrival). */
  readonly startMs: number;
  /** When the last chunk finished playing. */
  readonly endMs: number;
  readonly audioMs: number;
  /** Times the buffer ran dry mid-reply for more than the threshold. */
  readonly underruns: number;
  /** Total time the buffer was dry mid-reply (underruns only). */
  readonly underrunMs: number;
  /** The longest single dry spell mid-reply. */
  readonly longestGapMs: number;
  /** Every dry spell longer than the underrun threshold, as [from, to] on the caller's clock (pauses left out). */
  readonly gaps: readonly { readonly fromMs: number; readonly toMs: number; readonly dryMs: number }[];
  /** When each chunk started playing. */
  readonly chunkStartsMs: readonly number[];
}

/** Dry spells up to this long are jitter a real player absorbs (half a 20 ms frame). */
export const UNDERRUN_THRESHOLD_MS = 10;

function overlapMs(fromMs: number, toMs: number, pauses: readonly PlaybackPause[]): number {
  let total = 0;
  for (const pause of pauses) {
    total += Math.max(0, Math.min(toMs, pause.toMs) - Math.max(fromMs, pause.fromMs));
  }
  return total;
}

/** Moves `timeMs` past any pause it falls in, and adds pauses that start while `durationMs` plays. */
function playSpan(
  startMs: number,
  durationMs: number,
  pauses: readonly PlaybackPause[],
): { startMs: number; endMs: number } {
  let start = startMs;
  for (const pause of pauses) if (start >= pause.fromMs && start < pause.toMs) start = pause.toMs;
  let end = start + durationMs;
  for (const pause of pauses) {
    if (pause.fromMs >= start && pause.fromMs < end) end += pause.toMs - pause.fromMs;
  }
  return { startMs: start, endMs: end };
}

/**
 * Plays chunks in arrival order on a simulated real-time player.
 *
 * @example
 * ```ts
 * import { simulatePlayback } from "./playback.ts";
 * const result = simulatePlayback([{ arrivalMs: 0, durationMs: 100 }, { arrivalMs: 150, durationMs: 100 }]);
 * console.log(result.underruns, result.underrunMs, result.endMs); // 1 50 250
 * ```
 */
export function simulatePlayback(
  chunks: readonly PlaybackChunk[],
  options: { underrunThresholdMs?: number; pauses?: readonly PlaybackPause[] } = {},
): PlaybackResult | undefined {
  if (chunks.length === 0) return undefined;
  const threshold = options.underrunThresholdMs ?? UNDERRUN_THRESHOLD_MS;
  const pauses = options.pauses ?? [];
  const chunkStartsMs: number[] = [];
  const gaps: { fromMs: number; toMs: number; dryMs: number }[] = [];
  let playheadMs = chunks[0]!.arrivalMs;
  let underruns = 0;
  let underrunMs = 0;
  let longestGapMs = 0;
  let audioMs = 0;
  for (const [index, chunk] of chunks.entries()) {
    if (index > 0 && chunk.arrivalMs > playheadMs) {
      const dryMs = chunk.arrivalMs - playheadMs - overlapMs(playheadMs, chunk.arrivalMs, pauses);
      if (dryMs > threshold) {
        gaps.push({ fromMs: playheadMs, toMs: chunk.arrivalMs, dryMs });
        underruns++;
        underrunMs += dryMs;
        longestGapMs = Math.max(longestGapMs, dryMs);
      }
    }
    const span = playSpan(Math.max(chunk.arrivalMs, playheadMs), chunk.durationMs, pauses);
    chunkStartsMs.push(span.startMs);
    playheadMs = span.endMs;
    audioMs += chunk.durationMs;
  }
  return {
    startMs: chunks[0]!.arrivalMs,
    endMs: playheadMs,
    audioMs,
    underruns,
    underrunMs,
    longestGapMs,
    gaps,
    chunkStartsMs,
  };
}

/**
 * When the caller hears the audio at `offsetMs` into the reply (offset on the concatenated audio).
 *
 * @example
 * ```ts
 * import { playbackTimeOf, simulatePlayback } from "./playback.ts";
 * const chunks = [{ arrivalMs: 1000, durationMs: 100 }, { arrivalMs: 1300, durationMs: 100 }];
 * console.log(playbackTimeOf(chunks, simulatePlayback(chunks)!, 150)); // 1350
 * ```
 */
export function playbackTimeOf(
  chunks: readonly PlaybackChunk[],
  result: PlaybackResult,
  offsetMs: number,
): number {
  let chunkOffsetMs = 0;
  for (const [index, chunk] of chunks.entries()) {
    if (offsetMs < chunkOffsetMs + chunk.durationMs || index === chunks.length - 1) {
      return result.chunkStartsMs[index]! + (offsetMs - chunkOffsetMs);
    }
    chunkOffsetMs += chunk.durationMs;
  }
  return result.endMs;
}
