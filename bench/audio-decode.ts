/**
 * Decode + convert speed: how many seconds of audio voxbench turns into wire frames per CPU second.
 * Every WAV in fixtures/ and test/fixtures/seed-samples/ is decoded from bytes and converted to each
 * wire format, repeatedly, and CPU time (user + system) is read from process.cpuUsage().
 *
 *   node --import tsx bench/audio-decode.ts
 *   npx deno run -A bench/audio-decode.ts
 */
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { decodeWav } from "../src/audio/wav-decode.ts";
import { encodeForWire, type WireFormat } from "../src/audio/wire-format.ts";
import { currentRuntime } from "../src/common/runtime.ts";

const dirs = ["fixtures", "test/fixtures/seed-samples"].map((dir) => new URL(`../${dir}/`, import.meta.url));
const files = dirs.flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => name.endsWith(".wav"))
    .map((name) => readFileSync(new URL(name, dir)))
);
const targets: WireFormat[] = [
  { encoding: "pcm16", sampleRateHz: 16000 },
  { encoding: "pcm16", sampleRateHz: 8000 },
  { encoding: "pcm16", sampleRateHz: 24000 },
  { encoding: "pcm16", sampleRateHz: 48000 },
  { encoding: "mulaw", sampleRateHz: 8000 },
];
const ROUNDS = 5;

function cpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

const runtime = currentRuntime();
console.log(
  `decode + convert speed on ${runtime.name} ${runtime.version} (${files.length} files, ${ROUNDS} rounds)`,
);
const decodeStart = cpuSeconds();
let audioSeconds = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const bytes of files) audioSeconds += decodeWav(bytes).info.durationMs / 1000;
}
const decodeCpu = cpuSeconds() - decodeStart;
console.log(
  `  decode only                 ${(audioSeconds / decodeCpu).toFixed(0).padStart(7)} s of audio per CPU s`,
);
const clips = files.map((bytes) => decodeWav(bytes).clip);
for (const target of targets) {
  const start = cpuSeconds();
  let seconds = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const clip of clips) seconds += encodeForWire(clip, target).durationMs / 1000;
  }
  const cpu = cpuSeconds() - start;
  console.log(
    `  convert to ${`${target.encoding}@${target.sampleRateHz}`.padEnd(16)}${
      (seconds / cpu).toFixed(0).padStart(7)
    } s of audio per CPU s`,
  );
}
const start = cpuSeconds();
let seconds = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const bytes of files) {
    const { clip, info } = decodeWav(bytes);
    encodeForWire(clip, { encoding: "mulaw", sampleRateHz: 8000 });
    seconds += info.durationMs / 1000;
  }
}
console.log(
  `  decode + mulaw@8000 (16 kHz sources) ${
    (seconds / (cpuSeconds() - start)).toFixed(0).padStart(5)
  } s of audio per CPU s`,
);
