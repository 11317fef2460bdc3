import { paceFrames } from "../audio/pacer.ts";
import type { DeadlineScheduler } from "../common/deadline-scheduler.ts";
import type { ReplyClip } from "./reply-voice.ts";

/**
 * One reply's chunks going out in real time (or `pace` times faster): chunk k at start + k x
 * chunkMs / pace on absolute deadlines. It can be paused (barge-in) and started again where it
 * stopped; `send` is called for each chunk, `onAllSent` once the last one is out.
 *
 * @example
 * ```ts
 * import { ReplyStream } from "./reply-stream.ts";
 * // const stream = new ReplyStream(clip, { chunkMs: 100, pace: 1, scheduler }, (index) => send(index), () => done());
 * // stream.start(performance.now());
 * ```
 */
export class ReplyStream {
  /** The next chunk to send. */
  nextChunk = 0;
  private pacing: AbortController | undefined;

  constructor(
    readonly clip: ReplyClip,
    private readonly options: {
      readonly chunkMs: number;
      readonly pace: number;
      readonly scheduler: DeadlineScheduler;
    },
    private readonly send: (chunkIndex: number) => void,
    private readonly onAllSent: () => void,
  ) {}

  /** Whether chunks are going out now. */
  get playing(): boolean {
    return this.pacing !== undefined;
  }

  /** Sends the remaining chunks, the first at `startAtMs`. */
  start(startAtMs: number): void {
    const pacing = new AbortController();
    this.pacing = pacing;
    const indices: number[] = [];
    for (let index = this.nextChunk; index < this.clip.chunks.length; index++) indices.push(index);
    void paceFrames(
      indices,
      (chunkIndex) => {
        this.nextChunk = chunkIndex + 1;
        this.send(chunkIndex);
      },
      {
        frameMs: this.options.chunkMs / this.options.pace,
        startAtMs,
        scheduler: this.options.scheduler,
        signal: pacing.signal,
      },
    ).then((report) => {
      if (report.aborted || this.pacing !== pacing) return;
      this.pacing = undefined;
      this.onAllSent();
    });
  }

  /** Stops sending; `start` goes on from the next chunk. */
  pause(): void {
    this.pacing?.abort();
    this.pacing = undefined;
  }

  /** Audio in the chunks sent so far. */
  get sentAudioMs(): number {
    let total = 0;
    for (let index = 0; index < this.nextChunk; index++) total += this.clip.chunks[index]!.durationMs;
    return total;
  }
}
