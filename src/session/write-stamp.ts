import type WebSocket from "ws";
import { type MonotonicClock, monotonicNowMs } from "../common/clock.ts";

/**
 * Stamps the moment a frame's bytes are handed to the operating system. ws builds and masks a
 * frame, then writes it to its net.Socket (corked, header and payload together); the time is read
 * just before that write. Reading it after ws.send() returns instead would be late whenever a GC
 * pause or other work lands between the write and the return (seen: 1-2 ms, on Node and Deno),
 * and would make a bot look faster than its own clock says.
 */
export interface WriteStamp {
  /** Forgets the last stamp (call before a send). */
  reset(): void;
  /** When the last write to the socket happened since reset(), if any. */
  lastWriteMs(): number | undefined;
}

interface WritableSocket {
  write: (...args: unknown[]) => boolean;
}

/**
 * Wraps the socket under a ws WebSocket. Without access to it (a future ws), stamps are undefined
 * and callers fall back to the time ws.send() returned.
 *
 * @example
 * ```ts
 * import { stampWrites } from "./write-stamp.ts";
 * // const stamp = stampWrites(ws); stamp.reset(); ws.send(frame); const sentMs = stamp.lastWriteMs();
 * ```
 */
export function stampWrites(ws: WebSocket, clock: MonotonicClock = monotonicNowMs): WriteStamp {
  let last: number | undefined;
  const socket = (ws as unknown as { _socket?: WritableSocket })._socket;
  if (socket && typeof socket.write === "function") {
    const write = socket.write;
    socket.write = function stampedWrite(this: WritableSocket, ...args: unknown[]): boolean {
      last = clock();
      return write.apply(this, args);
    };
  }
  return {
    reset: () => {
      last = undefined;
    },
    lastWriteMs: () => last,
  };
}
