/**
 * A minimal raw client for testing the reference server over a real socket: it records every
 * frame with the monotonic time read in the socket's message callback.
 */
import WebSocket from "ws";
import { readFileSync } from "node:fs";
import { toBase64 } from "../../src/protocols/base64.ts";
import { AudioAsset } from "../../src/audio/asset.ts";
import { type AudioLibrary, createLibrary } from "../../src/audio/library.ts";
import { createClip } from "../../src/audio/pcm.ts";

export interface ReceivedFrame {
  readonly atMs: number;
  readonly text: string;
  /** Parsed JSON, or undefined when the frame was not valid JSON. */
  readonly json: Record<string, unknown> | undefined;
}

export class BotClient {
  readonly frames: ReceivedFrame[] = [];
  closeCode: number | undefined;
  closeReason = "";
  openedAtMs = 0;
  private waiters: {
    predicate: (frame: ReceivedFrame) => boolean;
    resolve: (frame: ReceivedFrame) => void;
  }[] = [];
  private closeWaiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const atMs = performance.now();
      const text = String(data);
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      const frame = { atMs, text, json };
      this.frames.push(frame);
      for (const waiter of [...this.waiters]) {
        if (waiter.predicate(frame)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(frame);
        }
      }
    });
    ws.on("close", (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const resolve of this.closeWaiters) resolve();
    });
  }

  /** Connects and waits for the socket to open. */
  static async connect(url: string): Promise<BotClient> {
    const ws = new WebSocket(url);
    const client = new BotClient(ws);
    const startMs = performance.now();
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    client.openedAtMs = performance.now() - startMs;
    return client;
  }

  /** Sends a JSON message; returns the monotonic time read just before sending. */
  send(message: unknown): number {
    const text = typeof message === "string" ? message : JSON.stringify(message);
    const atMs = performance.now();
    this.ws.send(text, (error) => {
      if (!error) this.lastFlushedAtMs = performance.now();
    });
    return atMs;
  }

  /** When the last send was handed to the socket (the ws write callback). */
  lastFlushedAtMs = 0;

  /** speech_start then speech_end with the WAV file's bytes; returns when speech_end was sent. */
  speak(wavPath: string | URL, extra: Record<string, unknown> = {}): number {
    this.send({ type: "speech_start" });
    return this.speechEnd(wavPath, extra);
  }

  speechEnd(wavPath: string | URL, extra: Record<string, unknown> = {}): number {
    const audio = toBase64(new Uint8Array(readFileSync(wavPath)));
    const text = JSON.stringify({ type: "speech_end", audio, ...extra });
    return this.send(text);
  }

  /** The next frame (already received after `fromIndex`, or still to come) matching `predicate`. */
  next(
    predicate: (frame: ReceivedFrame) => boolean,
    timeoutMs = 5000,
    fromIndex = 0,
  ): Promise<ReceivedFrame> {
    const existing = this.frames.slice(fromIndex).find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter.resolve !== done);
        reject(
          new Error(
            `no matching frame within ${timeoutMs} ms; got ${
              this.frames.map((frame) => frame.json?.event ?? frame.text.slice(0, 40)).join(", ")
            }`,
          ),
        );
      }, timeoutMs);
      const done = (frame: ReceivedFrame): void => {
        clearTimeout(timer);
        resolve(frame);
      };
      this.waiters.push({ predicate, resolve: done });
    });
  }

  /** The next frame with this event name received after `fromIndex`. */
  nextEvent(name: string, timeoutMs = 5000, fromIndex = 0): Promise<ReceivedFrame> {
    return this.next((frame) => frame.json?.event === name, timeoutMs, fromIndex);
  }

  events(name: string, fromIndex = 0): ReceivedFrame[] {
    return this.frames.slice(fromIndex).filter((frame) => frame.json?.event === name);
  }

  /** Resolves when the socket has closed. */
  closed(): Promise<void> {
    if (this.closeCode !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closeCode === undefined) this.ws.close();
    await this.closed();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A reply voice of one short tone, so tests need not wait out three-second replies. */
export function shortReplyVoice(durationMs = 600): AudioLibrary {
  const samples = new Int16Array((16000 * durationMs) / 1000);
  for (let i = 0; i < samples.length; i++) {
    samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / 16000));
  }
  return createLibrary("test", [
    new AudioAsset({ name: `bot_tone_${durationMs}ms`, role: "bot", clip: createClip(samples, 16000) }),
  ]);
}

export function fixture(name: string): URL {
  return new URL(`../../fixtures/${name}`, import.meta.url);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
