/**
 * Pacer send lag with many callers at once: 500 clips of 2 s, framed at 20 ms (100 frames each,
 * 25,000 frames a second in all), paced on one shared scheduler. Reports how late frames left
 * their absolute deadlines (p50/p99/max) and the CPU used.
 *
 *   node --import tsx bench/pacer-lag.ts [clips=500]
 *   npx deno run -A bench/pacer-lag.ts [clips=500]
 */
import process from "node:process";
import { frameAudio } from "../src/audio/frames.ts";
import { paceFrames } from "../src/audio/pacer.ts";
import { createClip } from "../src/audio/pcm.ts";
import { encodeForWire } from "../src/audio/wire-format.ts";
import { currentRuntime } from "../src/common/runtime.ts";
import { summarize } from "../src/metrics/percentiles.ts";

const clipCount = Number(process.argv[2] ?? 500);
const encoded = encodeForWire(createClip(new Int16Array(32000), 16000), {
  encoding: "pcm16",
  sampleRateHz: 16000,
});
const frames = frameAudio(encoded, 20);
let bytesSent = 0;
const runtime = currentRuntime();
console.log(
  `pacer send lag on ${runtime.name} ${runtime.version}: ${clipCount} clips x ${frames.length} frames of 20 ms`,
);
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
// Callers start spread over one frame period, as real callers would.
const reports = await Promise.all(
  Array.from({ length: clipCount }, (_, caller) =>
    paceFrames(frames, (frame) => {
      bytesSent += frame.length;
    }, { frameMs: 20, startAtMs: wallStart + 50 + (caller % 20) })),
);
const wallMs = performance.now() - wallStart;
const cpu = process.cpuUsage(cpuStart);
const lags = reports.flatMap((report) => report.sendLagsMs);
const stats = summarize(lags)!;
console.log(
  `  frames sent      ${lags.length} (${(bytesSent / 1e6).toFixed(1)} MB) in ${(wallMs / 1000).toFixed(2)} s`,
);
console.log(`  send lag p50     ${stats.median.toFixed(3)} ms`);
console.log(`  send lag p99     ${stats.p99.toFixed(3)} ms`);
console.log(`  send lag max     ${stats.max.toFixed(3)} ms   (min ${stats.min.toFixed(3)} ms)`);
console.log(
  `  CPU              ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (${
    (((cpu.user + cpu.system) / 1e3 / wallMs) * 100).toFixed(1)
  }% of one core)`,
);
