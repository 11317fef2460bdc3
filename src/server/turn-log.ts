import { createWriteStream, type WriteStream } from "node:fs";

/** One line of the server's turn log: its own timestamps, the ground truth a client is checked against. */
export interface TurnLogRecord {
  readonly session_id: string;
  readonly connection: number;
  readonly turn: number;
  readonly kind: "query" | "tool";
  readonly utterance_ms: number;
  readonly speech_ms: number;
  /** Monotonic ms on the server's clock (performance.now()). */
  readonly speech_end_received_ms: number;
  readonly first_chunk_sent_ms: number | null;
  readonly last_chunk_sent_ms: number | null;
  readonly speech_end_received_at: string;
  readonly first_chunk_sent_at: string | null;
  readonly last_chunk_sent_at: string | null;
  readonly first_chunk_delay_ms: number | null;
  readonly configured_delay_ms: number | null;
  readonly reply_clip: string;
  readonly reply_audio_ms: number;
  readonly chunks_total: number;
  readonly chunks_sent: number;
  readonly chunks_dropped: number;
  readonly interrupted: boolean;
  readonly interruptions: readonly { speech_start_received_ms: number; stop_sent_ms: number }[];
  readonly resumed: boolean;
  readonly resumes: readonly { speech_end_received_ms: number; resume_sent_ms: number }[];
  readonly cancelled: boolean;
  readonly end: "completed" | "cancelled" | "closed" | "no_reply" | "error_event" | "server_closed";
  readonly fault: string | null;
  readonly stt_ms: number | null;
  readonly queue_ms: number | null;
  readonly llm_ttft_ms: number | null;
  readonly tool_ms: number | null;
  readonly tts_ttfb_ms: number | null;
}

/**
 * Appends one JSON line per finished turn to a file; `close()` flushes everything written.
 *
 * @example
 * ```ts
 * import { TurnLog } from "./turn-log.ts";
 * const log = new TurnLog("/tmp/turns.jsonl");
 * await log.close();
 * ```
 */
export class TurnLog {
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: "a" });
    this.stream.on("error", (error) => {
      this.failure = error;
    });
  }

  write(record: TurnLogRecord): void {
    if (!this.failure) this.stream.write(`${JSON.stringify(record)}\n`);
  }

  /** Flushes and closes the file; rejects if any write failed. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.end(() => (this.failure ? reject(this.failure) : resolve()));
    });
  }
}
