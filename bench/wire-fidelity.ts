/**
 * Timing against the wire: voxbench's ttft_ms per turn minus the same interval read from a packet
 * capture of loopback (tcpdump), paired per connection and turn. The truth is the wire: the capture
 * time of the packet carrying the first byte of the caller's end-of-speech frame (speech-events:
 * speech_end; Twilio: the media message of chunk speech_end_chunk) to that of the packet carrying the
 * last byte of the bot's first reply frame after it. No process's scheduling is in it.
 *
 * The bot (`voxbench serve`) and the callers (`voxbench run`) each run in their own process, as a
 * user runs them. Needs tcpdump (Debian's package) and the right to capture on lo (root).
 *
 *   node --import tsx bench/wire-fidelity.ts [--protocol speech-events|twilio|pcm|openai-realtime] [--counts 10,100]
 *        [--requests 5] [--runtime node|deno] [--reply-delay-ms 300] [--client voxbench|bare]
 *
 * `--client bare` runs bench/bare-client.ts (speech-events only) instead of voxbench: the floor a
 * plain ws client reaches under the same load, through the same capture and pairing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { readCsv } from "../src/report/read-csv.ts";
import { summarize } from "../src/metrics/percentiles.ts";
import { option, ROOT } from "./support.ts";
import { readWireConnections, type WireFrameSeen } from "./wire-frames.ts";

const protocol = option("--protocol", "twilio");
const counts = option("--counts", "10,100").split(",").map(Number);
const requests = Number(option("--requests", "5"));
const runtime = option("--runtime", "node");
const replyDelayMs = option("--reply-delay-ms", "300");
const client = option("--client", "voxbench");

function cliCommand(args: readonly string[]): [string, string[]] {
  const cli = join(ROOT, "src/cli.ts");
  return runtime === "deno"
    ? [join(ROOT, "node_modules/deno/deno"), [
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=1",
      cli,
      ...args,
    ]]
    : [process.execPath, ["--import", "tsx", cli, ...args]];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function waitForOutput(child: ChildProcess, stream: "stdout" | "stderr", pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = "";
    child[stream]!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (pattern.test(text)) resolve();
    });
    child.on(
      "exit",
      (code) => reject(new Error(`${child.spawnfile} exited (${code}) before printing ${pattern}: ${text}`)),
    );
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("close", (code) => resolve(code)));
}

/** The frame that ends the caller's speech in a turn, and the bot's first audio after it, on the wire. */
function wireTtftMs(
  frames: readonly WireFrameSeen[],
  endFrame: (frame: WireFrameSeen) => boolean,
  isAudio: (frame: WireFrameSeen) => boolean,
): number | undefined {
  const endIndex = frames.findIndex((frame) => frame.from === "client" && endFrame(frame));
  if (endIndex < 0) return undefined;
  const reply = frames.slice(endIndex + 1).find((frame) => frame.from === "server" && isAudio(frame));
  return reply ? reply.lastByteMs - frames[endIndex]!.firstByteMs : undefined;
}

console.log(
  `ttft against a loopback capture: protocol ${protocol}, bot and callers on ${runtime}, each in its own process; error = voxbench ttft_ms - wire ttft (ms)`,
);
for (const concurrency of counts) {
  const dir = await mkdtemp(join(tmpdir(), "voxbench-wire-"));
  const port = await freePort();
  const pcapPath = join(dir, "run.pcap");
  const tcpdump = spawn("tcpdump", [
    "-i",
    "lo",
    "-U",
    "-s",
    "0",
    "-B",
    "65536",
    "-w",
    pcapPath,
    `tcp port ${port}`,
  ], { stdio: ["ignore", "ignore", "pipe"] });
  await waitForOutput(tcpdump, "stderr", /listening on/);
  const [botCommand, botArgs] = cliCommand([
    "serve",
    "--protocol",
    protocol,
    "--port",
    String(port),
    "--reply-delay-ms",
    replyDelayMs,
    "--done-event",
  ]);
  const bot = spawn(botCommand, botArgs, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] });
  await waitForOutput(bot, "stdout", /Server ready on port/);
  const [runCommand, runArgs] = cliCommand([
    "run",
    "--protocol",
    protocol,
    "--server",
    `ws://127.0.0.1:${port}/ws`,
    "--concurrency",
    String(concurrency),
    "--requests",
    String(requests),
    "--simple",
    "1",
    "--tools",
    "0",
    "--interruptions",
    "0",
    "--false-alarms",
    "0",
    "--think-time",
    "0.5-2",
    "--ramp-up",
    "2",
    "--seed",
    "1",
    "--export-dir",
    dir,
    "--run-id",
    "wire",
    "--quiet",
  ]);
  const bareArgs = [
    "--import",
    "tsx",
    join(ROOT, "bench/bare-client.ts"),
    "--server",
    `ws://127.0.0.1:${port}/ws`,
    "--concurrency",
    String(concurrency),
    "--requests",
    String(requests),
    "--think-time",
    "0.5-2",
    "--out",
    join(dir, "bare.csv"),
  ];
  const callers = client === "bare"
    ? spawn(process.execPath, bareArgs, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] })
    : spawn(runCommand, runArgs, { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const code = await exited(callers);
  process.kill(bot.pid!, "SIGTERM");
  await exited(bot);
  process.kill(tcpdump.pid!, "SIGINT");
  await exited(tcpdump);
  const health = client === "bare"
    ? undefined
    : (JSON.parse(await readFile(join(dir, "wire", "summary.json"), "utf8")) as {
      health: {
        valid: boolean;
        reasons: string[];
        frameSendLagMs: { p99: number } | null;
        cpuSeconds: number;
      };
    }).health;
  const rows = readCsv(
    await readFile(client === "bare" ? join(dir, "bare.csv") : join(dir, "wire", "turns.csv"), "utf8"),
  ).rows;
  const header = rows[0]!;
  const column = (row: readonly string[], name: string): string => row[header.indexOf(name)]!;
  const connections = readWireConnections(await readFile(pcapPath), port);
  // A connection's identity on the wire: the bot's session id (speech-events' connected) or the caller's streamSid (Twilio's start).
  const bySession = new Map<string, WireFrameSeen[]>();
  for (const connection of connections) {
    const match =
      /"session_id":"([^"]+)"|"streamSid":"(MZ[0-9a-f]+)"|"type":"session\.created","event_id":"[^"]*","session":\{"id":"([^"]+)"/
        .exec(connection.frames.map((frame) => frame.head).join("\n"));
    if (match) bySession.set(match[1] ?? match[2] ?? match[3]!, connection.frames);
  }
  // Raw PCM carries no id: callers connect in client order (ramp-up spaces them 20 ms apart at 100 callers).
  const byClient = connections.map((connection) => connection.frames);
  const errors: number[] = [];
  const turnsOfSession = new Map<string, number>();
  let unpaired = 0;
  for (const row of rows.slice(1)) {
    if (column(row, "outcome") !== "ok") continue;
    const session = column(row, "session_id");
    const frames = protocol === "pcm" ? byClient[Number(column(row, "client_id"))] : bySession.get(session);
    const turnOnConnection = turnsOfSession.get(session) ?? 0;
    turnsOfSession.set(session, turnOnConnection + 1);
    if (!frames) {
      unpaired++;
      continue;
    }
    let wire: number | undefined;
    if (protocol === "pcm") {
      let binary = 0;
      const chunk = Number(column(row, "speech_end_chunk"));
      wire = wireTtftMs(
        frames,
        (frame) => frame.opcode === 2 && ++binary === chunk,
        (frame) => frame.opcode === 2,
      );
    } else if (protocol === "openai-realtime") {
      // The k-th input_audio_buffer.append of the connection held the end of speech; the reply is the first audio delta after it.
      let appends = 0;
      const chunk = Number(column(row, "speech_end_chunk"));
      wire = wireTtftMs(
        frames,
        (frame) => frame.head.startsWith('{"type":"input_audio_buffer.append"') && ++appends === chunk,
        (frame) => frame.head.startsWith('{"type":"response.output_audio.delta"'),
      );
    } else if (protocol === "twilio") {
      const chunk = column(row, "speech_end_chunk");
      wire = wireTtftMs(
        frames,
        (frame) => frame.head.includes(`"chunk":"${chunk}"`),
        (frame) => frame.head.startsWith('{"event":"media"'),
      );
    } else {
      // The n-th speech_end of the connection is its n-th turn's (simple queries speak once).
      let seen = -1;
      wire = wireTtftMs(
        frames,
        (frame) => frame.head.startsWith('{"type":"speech_end"') && ++seen === turnOnConnection,
        (frame) => frame.head.startsWith('{"event":"play_audio"'),
      );
    }
    if (wire === undefined) {
      unpaired++;
      continue;
    }
    errors.push(Number(column(row, "ttft_ms")) - wire);
  }
  const absolute = summarize(errors.map(Math.abs));
  const signed = summarize(errors);
  console.log(
    [
      `c=${String(concurrency).padStart(3)} ${errors.length} turns paired${
        unpaired ? ` (${unpaired} unpaired)` : ""
      }, exit ${code}`,
      `|error| p50 ${absolute?.median.toFixed(2)} p95 ${absolute?.p95.toFixed(2)} p99 ${
        absolute?.p99.toFixed(2)
      } max ${absolute?.max.toFixed(2)}`,
      `signed min ${signed?.min.toFixed(2)} median ${signed?.median.toFixed(2)}`,
      client === "bare" ? "bare ws client" : "",
      health?.frameSendLagMs ? `frame send lag p99 ${health.frameSendLagMs.p99.toFixed(2)} ms` : "",
      health ? `CPU ${health.cpuSeconds.toFixed(1)} s` : "",
      health ? (health.valid ? "valid" : `INVALID (${health.reasons.join("; ")})`) : "",
    ]
      .filter(Boolean)
      .join(" | "),
  );
  await rm(dir, { recursive: true, force: true });
}
