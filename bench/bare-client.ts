/**
 * The floor voxbench is held against: a bare `ws` client doing the same speech-events exchange as a
 * voxbench simple query (speech_start, the clip's duration later speech_end with the WAV, the
 * reply's chunks until response_done, a think time, again), stamping its sends and receipts the
 * simplest way (performance.now() around ws.send and in the message callback) and doing nothing else:
 * no event log, no player, no analysis. It paces its turns as voxbench does (`--think-time`, seconds
 * drawn uniformly after each reply's end), so both keep the same number of replies in flight. It writes a turns.csv with the columns bench/wire-fidelity.ts
 * reads (outcome, session_id, ttft_ms), so both go through the same capture and pairing.
 *
 *   node --import tsx bench/bare-client.ts --server ws://127.0.0.1:8000/ws --concurrency 500 --requests 2 [--think-time 0.5-2] [--decode] --out turns.csv
 */
import { Buffer } from "node:buffer";
import { writeFile } from "node:fs/promises";
import process from "node:process";
import WebSocket from "ws";
import { bundledFixturesDir, loadAudioLibrary } from "../src/audio/library.ts";
import { toBase64 } from "../src/protocols/base64.ts";
import { option } from "./support.ts";

const server = option("--server", "ws://127.0.0.1:8000/ws");
const concurrency = Number(option("--concurrency", "100"));
const requests = Number(option("--requests", "5"));
const out = option("--out", "bare-turns.csv");
const rampUpMs = Number(option("--ramp-up", "2")) * 1000;
// The pause after a reply, drawn uniformly in seconds as voxbench's --think-time is.
const [thinkMinS, thinkMaxS] = option("--think-time", "0.5-2").split("-").map(Number) as [number, number];
// --decode: also what any client that measures the audio must do with each reply chunk (parse the
// JSON, decode the base64 PCM16, one RMS level per 10 ms): the part of voxbench's cost that is the
// measurement itself, apart from its machinery.
const decode = process.argv.includes("--decode");
let levelsSum = 0;

function levelsOf(text: string): void {
  const audio = (JSON.parse(text) as { audio: string }).audio;
  const bytes = Buffer.from(audio, "base64");
  const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
  for (let start = 0; start < samples.length; start += 160) {
    let sumOfSquares = 0;
    const end = Math.min(samples.length, start + 160);
    for (let i = start; i < end; i++) sumOfSquares += samples[i]! * samples[i]!;
    levelsSum += 20 * Math.log10(Math.sqrt(sumOfSquares / (end - start)) / 32768 + 1e-6);
  }
}

const library = await loadAudioLibrary(bundledFixturesDir());
const format = { encoding: "pcm16" as const, sampleRateHz: 16000, frameMs: 20 };
const clips = library.byRole("query").map((asset) => ({
  durationMs: asset.encoded(format).durationMs,
  speechEnd: JSON.stringify({ type: "speech_end", audio: toBase64(asset.wav(format)) }),
}));

const rows: string[] = ["client_id,turn_index,outcome,session_id,ttft_ms"];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function caller(clientId: number): Promise<void> {
  await sleep((clientId / concurrency) * rampUpMs);
  const ws = new WebSocket(server, { perMessageDeflate: false });
  let sessionId = "";
  let onMessage: (text: string, atMs: number) => void = () => {};
  ws.on("message", (data) => {
    const atMs = performance.now();
    const text = String(data);
    if (text.startsWith('{"event":"connected"')) {
      sessionId = (JSON.parse(text) as { session_id: string }).session_id;
    } else onMessage(text, atMs);
  });
  await new Promise((resolve) => ws.once("open", resolve));
  for (let turn = 0; turn < requests; turn++) {
    const clip = clips[(clientId + turn) % clips.length]!;
    ws.send('{"type":"speech_start"}');
    await sleep(clip.durationMs);
    let firstAudioMs: number | undefined;
    const ended = new Promise<void>((resolve) => {
      onMessage = (text, atMs) => {
        if (text.startsWith('{"event":"play_audio"')) {
          if (firstAudioMs === undefined) firstAudioMs = atMs;
          if (decode) levelsOf(text);
        }
        if (text.startsWith('{"event":"response_done"')) resolve();
      };
    });
    const sentMs = performance.now();
    ws.send(clip.speechEnd);
    await Promise.race([ended, sleep(30_000)]);
    rows.push(
      `${clientId},${turn},${firstAudioMs === undefined ? "timeout" : "ok"},${sessionId},${
        firstAudioMs === undefined ? "" : (firstAudioMs - sentMs).toFixed(3)
      }`,
    );
    await sleep((thinkMinS + Math.random() * (thinkMaxS - thinkMinS)) * 1000);
  }
  ws.close();
}

const cpuStart = process.cpuUsage();
// Peak RSS sampled as voxbench's run health samples it (every 500 ms, and at the end).
let peakRssBytes = process.memoryUsage().rss;
const rssTimer = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss)), 500);
await Promise.all(Array.from({ length: concurrency }, (_, clientId) => caller(clientId)));
const cpu = process.cpuUsage(cpuStart);
clearInterval(rssTimer);
peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
await writeFile(out, `${rows.join("\n")}\n`);
process.stderr.write(
  `bare client${decode ? " (decoding replies)" : ""}: ${rows.length - 1} turns, CPU ${
    ((cpu.user + cpu.system) / 1e6).toFixed(1)
  } s, peak RSS ${(peakRssBytes / 2 ** 20).toFixed(1)} MiB${
    decode ? ` (levels checksum ${levelsSum.toFixed(0)})` : ""
  }\n`,
);
process.exit(0);
