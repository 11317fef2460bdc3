/**
 * A purpose-built WebSocket server for behaviours the reference bot never shows (stale audio after
 * a stop, never resuming, garbage...). The test scripts what happens on each client message.
 */
import { createServer, type Server } from "node:http";
import { type WebSocket, WebSocketServer } from "ws";
import { toBase64 } from "../../src/protocols/base64.ts";

export interface ScriptedConnection {
  readonly ws: WebSocket;
  send(event: Record<string, unknown>): void;
  /** Sends `count` chunks of 100 ms PCM16 tone, one every `everyMs`; resolves when done (or stopped). */
  stream(count: number, everyMs?: number): { done: Promise<void>; stop: () => void };
}

export interface ScriptedServer {
  readonly url: string;
  close(): Promise<void>;
}

const CHUNK = (() => {
  const samples = new Int16Array(1600);
  for (let i = 0; i < samples.length; i++) {
    samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 220 * i) / 16000));
  }
  return toBase64(new Uint8Array(samples.buffer));
})();

export async function scriptedServer(
  onMessage: (connection: ScriptedConnection, message: Record<string, unknown>) => void,
): Promise<ScriptedServer> {
  const http: Server = createServer((_request, response) => response.end());
  const wss = new WebSocketServer({ server: http });
  wss.on("connection", (ws) => {
    const connection: ScriptedConnection = {
      ws,
      send: (event) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
      },
      stream: (count, everyMs = 100) => {
        let sent = 0;
        // deno-lint-ignore prefer-const -- assigned after the first tick, which may already clear it
        let timer: ReturnType<typeof setInterval> | undefined;
        let finish: () => void = () => {};
        const done = new Promise<void>((resolve) => (finish = resolve));
        const tick = (): void => {
          if (sent >= count || ws.readyState !== ws.OPEN) {
            clearInterval(timer);
            finish();
            return;
          }
          ws.send(JSON.stringify({ event: "play_audio", audio: CHUNK }));
          sent++;
        };
        tick();
        timer = setInterval(tick, everyMs);
        return {
          done,
          stop: () => {
            clearInterval(timer);
            finish();
          },
        };
      },
    };
    ws.send(JSON.stringify({ event: "connected", session_id: "scripted" }));
    ws.on("message", (data) => onMessage(connection, JSON.parse(String(data)) as Record<string, unknown>));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
  const port = (http.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
