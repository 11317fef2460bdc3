/**
 * The cost of a streaming caller's send path alone: `--callers` Twilio callers stream silence in
 * 20 ms frames on absolute deadlines to a sink (its own process, reading and discarding), once
 * through voxbench's Session and StreamVoice and once as a bare `ws` loop (the floor), in turn.
 * Without --talk no replies come back, so what differs is the send path: scheduling, framing,
 * stamping, lag accounting. With --talk the sink streams reply audio back to every caller all the
 * time, and the receive path (decoding, the event log, the simulated player) is measured too. Prints
 * CPU per 1,000 frames sent of each and their ratio.
 *
 *   node --import tsx bench/send-path.ts [--callers 500] [--seconds 10] [--talk]
 */
import { spawn } from "node:child_process";
import { Buffer } from "node:buffer";
import process from "node:process";
import WebSocket from "ws";
import { Session } from "../src/session/session.ts";
import { openSocket } from "../src/session/socket.ts";
import { twilio } from "../src/protocols/twilio/protocol.ts";
import { option } from "./support.ts";

const callers = Number(option("--callers", "500"));
const seconds = Number(option("--seconds", "10"));
const format = { encoding: "mulaw" as const, sampleRateHz: 8000, frameMs: 20 };

// With --talk the sink also speaks: a 20 ms mu-law media message to every caller every 20 ms (a bot
// that never stops talking), so both clients receive the same reply audio.
const talk = process.argv.includes("--talk");
const sinkSource = `
const { WebSocketServer } = require("ws");
const server = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
const sockets = new Set();
server.on("listening", () => console.log(server.address().port));
server.on("connection", (ws) => {
  ws.on("message", (data) => {
    if (ws.streamSid === undefined && String(data).includes('"start"')) ws.streamSid = JSON.parse(String(data)).streamSid;
  });
  sockets.add(ws);
  ws.on("close", () => sockets.delete(ws));
});
if (${talk}) {
  const payload = Buffer.alloc(160, 0x7f).map((_, i) => (i * 37) & 0xff).toString("base64");
  setInterval(() => {
    for (const ws of sockets) {
      ws.send(JSON.stringify({ event: "media", streamSid: ws.streamSid ?? "MZ", media: { payload } }));
    }
  }, 20);
}
`;
const sink = spawn(process.execPath, ["-e", sinkSource], { stdio: ["ignore", "pipe", "inherit"] });
const port = await new Promise<number>((resolve) =>
  sink.stdout!.once("data", (data) => resolve(Number(String(data))))
);
const url = `ws://127.0.0.1:${port}/`;

async function measure(label: string, start: (index: number) => Promise<() => void>, frames: () => number) {
  const stops: (() => void)[] = [];
  for (let index = 0; index < callers; index++) stops.push(await start(index));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const framesBefore = frames();
  const cpu = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = process.cpuUsage(cpu);
  const sent = frames() - framesBefore;
  for (const stop of stops) stop();
  const msPerThousand = ((used.user + used.system) / 1000 / sent) * 1000;
  console.log(`${label}: ${sent} frames, ${msPerThousand.toFixed(1)} ms CPU per 1,000 frames`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  return msPerThousand;
}

let voxbenchFrames = 0;
const voxbench = await measure("voxbench", async (index) => {
  const socket = await openSocket({ url, connectTimeoutMs: 5000 });
  const caller = twilio.caller({
    wireFormat: format,
    replyFormat: format,
    parameters: {},
    connectionKey: `${index}`,
  });
  const session = new Session(socket, {
    protocol: twilio,
    caller,
    wireFormat: format,
    timing: { frameSendLag: () => voxbenchFrames++ },
  });
  session.start();
  // The event log is emptied every second, as a turn does at its end.
  const forget = setInterval(() => session.forgetBefore(session.cursor), 1000);
  return () => {
    clearInterval(forget);
    session.terminate();
  };
}, () => voxbenchFrames);

let bareFrames = 0;
const silence = Buffer.alloc(160, 0xff).toString("base64");
const bare = await measure("bare ws", async (index) => {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve) => ws.once("open", resolve));
  const streamSid = `MZ${index.toString(16).padStart(32, "0")}`;
  ws.send(JSON.stringify({ event: "start", streamSid }));
  // What a bare client must do with each reply message: parse it.
  ws.on("message", (data) => JSON.parse(String(data)));
  let chunk = 0;
  let stopped = false;
  const firstMs = performance.now() + 20;
  const tick = (): void => {
    if (stopped) return;
    chunk++;
    ws.send(
      `{"event":"media","sequenceNumber":"${
        chunk + 1
      }","media":{"track":"inbound","chunk":"${chunk}","timestamp":"${
        (chunk - 1) * 20
      }","payload":"${silence}"},"streamSid":"${streamSid}"}`,
    );
    bareFrames++;
    setTimeout(tick, Math.max(0, firstMs + chunk * 20 - performance.now()));
  };
  setTimeout(tick, 20);
  return () => {
    stopped = true;
    ws.terminate();
  };
}, () => bareFrames);
console.log(`voxbench / bare: ${(voxbench / bare).toFixed(2)}x`);
sink.kill();
process.exit(0);
