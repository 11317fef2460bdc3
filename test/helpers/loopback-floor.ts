/**
 * The transport floor of a timing-fidelity check: what the simplest correct client, a bare ws
 * socket in this same process, reads beyond a server's own clock for the same message sizes.
 * The server holds each request `holdMs` before replying (as a bot does before its first chunk);
 * the result is, per exchange, (client round trip) - (server's receive -> send), in ms.
 *
 * A busy shared machine raises this floor for every client alike, so a fidelity test can demand
 * that voxbench stays within a margin of it instead of a fixed figure the machine itself misses.
 */
import WebSocket, { WebSocketServer } from "ws";
import { sleep } from "./bot-client.ts";

export interface FloorOptions {
  /** Size of the client's message (e.g. a speech_end with its audio), bytes. */
  readonly requestBytes: number;
  /** Size of the server's reply (e.g. one play_audio chunk), bytes. */
  readonly replyBytes: number;
  readonly holdMs: number;
  readonly exchanges: number;
}

export async function measureLoopbackFloorMs(options: FloorOptions): Promise<number[]> {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as { port: number };
  const reply = "r".repeat(options.replyBytes);
  let serverHoldMs = 0;
  server.on("connection", (socket) => {
    socket.on("message", () => {
      const receivedAtMs = performance.now();
      setTimeout(() => {
        const sentAtMs = performance.now();
        serverHoldMs = sentAtMs - receivedAtMs;
        socket.send(reply);
      }, options.holdMs);
    });
  });
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  try {
    await new Promise<void>((resolve, reject) => {
      client.once("open", () => resolve());
      client.once("error", reject);
    });
    const request = "q".repeat(options.requestBytes);
    const differencesMs: number[] = [];
    for (let exchange = 0; exchange < options.exchanges; exchange++) {
      await sleep(10);
      const replied = new Promise<number>((resolve) =>
        client.once("message", () => resolve(performance.now()))
      );
      const sentAtMs = performance.now();
      client.send(request);
      const repliedAtMs = await replied;
      differencesMs.push(repliedAtMs - sentAtMs - serverHoldMs);
    }
    return differencesMs;
  } finally {
    client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
