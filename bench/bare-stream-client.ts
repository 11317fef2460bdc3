/**
 * The floor for streaming callers: a bare `ws` client doing what a voxbench Twilio caller does on
 * the wire (connected, start, a 20 ms mu-law media message per caller every 20 ms, speech from a
 * fixture then silence, the bot's marks answered), with none of voxbench's measurement: no event
 * log, no simulated player, no analysis. Each caller's frames leave on absolute deadlines, as
 * voxbench's do. Against the reference bot in its own process. Prints CPU per 1,000 frames sent,
 * how late frames left their deadlines and peak RSS, to hold voxbench's figures
 * (bench/stream-cost.ts) against.
 *
 *   node --import tsx bench/bare-stream-client.ts [--counts 100,500] [--seconds 20]
 */
import process from "node:process";
import WebSocket from "ws";
import { loadWavFile } from "../src/audio/load-file.ts";
import { encodeForWire } from "../src/audio/wire-format.ts";
import { option, ROOT, startServerProcess } from "./support.ts";

const counts = option("--counts", "100,500").split(",").map(Number);
const seconds = Number(option("--seconds", "20"));

const clip = (await loadWavFile(`${ROOT}fixtures/query_01_balance.wav`)).clip;
const speech = encodeForWire(clip, { encoding: "mulaw", sampleRateHz: 8000, frameMs: 20 }).bytes;
const silence = Buffer.alloc(160, 0xff).toString("base64");
const speechFrames: string[] = [];
for (let offset = 0; offset < speech.length; offset += 160) {
  speechFrames.push(Buffer.from(speech.subarray(offset, offset + 160)).toString("base64"));
}

console.log("bare ws streaming client (the floor), reference bot on node in its own process");
for (const count of counts) {
  const bot = await startServerProcess("node", ["--protocol", "twilio", "--reply-delay-ms", "300"]);
  let frames = 0;
  let peakRss = 0;
  const lagsMs: number[] = [];
  const cpuStart = process.cpuUsage();
  const sockets: WebSocket[] = [];
  let stopped = false;
  for (let caller = 0; caller < count; caller++) {
    // Spread over 5 s, as the voxbench run ramps up.
    await new Promise((resolve) => setTimeout(resolve, 5000 / count));
    const ws = new WebSocket(bot.url, { perMessageDeflate: false });
    sockets.push(ws);
    const streamSid = `MZ${caller.toString(16).padStart(32, "0")}`;
    ws.on("open", () => {
      ws.send(JSON.stringify({ event: "connected", protocol: "Call", version: "1.0.0" }));
      ws.send(JSON.stringify({
        event: "start",
        sequenceNumber: "1",
        streamSid,
        start: {
          streamSid,
          callSid: `CA${streamSid.slice(2)}`,
          accountSid: `AC${streamSid.slice(2)}`,
          tracks: ["inbound"],
          customParameters: {},
          mediaFormat: { encoding: "audio/x-mulaw", sampleRate: 8000, channels: 1 },
        },
      }));
      let sequence = 1;
      let chunk = 0;
      const firstDeadlineMs = performance.now() + 20;
      // Speak the clip every 4 s (a question, a reply, a pause), silence between.
      // Frame k leaves at the first deadline + k x 20 ms (absolute deadlines, as a real-time stream must).
      const tick = (): void => {
        if (stopped) return;
        lagsMs.push(performance.now() - (firstDeadlineMs + chunk * 20));
        const position = chunk % 200;
        const payload = position < speechFrames.length ? speechFrames[position]! : silence;
        chunk++;
        ws.send(
          `{"event":"media","sequenceNumber":"${++sequence}","media":{"track":"inbound","chunk":"${chunk}","timestamp":"${
            (chunk - 1) * 20
          }","payload":"${payload}"},"streamSid":"${streamSid}"}`,
        );
        frames++;
        setTimeout(tick, Math.max(0, firstDeadlineMs + chunk * 20 - performance.now()));
      };
      setTimeout(tick, 20);
      ws.on("message", (data) => {
        const message = JSON.parse(String(data)) as { event?: string; mark?: { name: string } };
        if (message.event === "mark") {
          ws.send(
            JSON.stringify({
              event: "mark",
              sequenceNumber: String(++sequence),
              streamSid,
              mark: message.mark,
            }),
          );
        }
      });
    });
  }
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000 - 5000));
  clearInterval(sampler);
  stopped = true;
  const cpu = process.cpuUsage(cpuStart);
  for (const ws of sockets) ws.terminate();
  await bot.stop();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  lagsMs.sort((a, b) => a - b);
  const lagAt = (q: number): string => (lagsMs[Math.floor(q * (lagsMs.length - 1))] ?? 0).toFixed(2);
  console.log(
    `c=${String(count).padStart(3)} | ${frames} frames in ${seconds} s | CPU ${
      ((cpuSeconds / frames) * 1e6).toFixed(0)
    } ms per 1,000 frames (${cpuSeconds.toFixed(1)} s) | frame send lag p50 ${lagAt(0.5)} p99 ${
      lagAt(0.99)
    } max ${lagAt(1)} ms | peak RSS ${(peakRss / 1048576).toFixed(0)} MiB`,
  );
}
process.exit(0);
