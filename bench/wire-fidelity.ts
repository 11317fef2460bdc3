/**
 * Timing against the wire: voxbench's figures per turn minus the same intervals read from a packet
 * capture of loopback (tcpdump), paired per connection and turn. The truth is the wire: an interval
 * runs from the capture time of the packet carrying the first byte of the caller's frame it starts
 * at to that of the packet carrying the last byte of the bot's frame it ends at. No process's
 * scheduling is in it.
 *
 * - ttft_ms: the caller's end-of-speech frame (speech-events: the turn's speech_end; streams: the
 *   frame numbered speech_end_chunk) -> the bot's first reply audio after it.
 * - total_ms (`--scenario simple`): the same frame -> the bot's last reply audio before the next
 *   turn's end-of-speech frame on the connection, or for its last turn before its close frame (a
 *   reply the capture does not hold whole is left unpaired: tcpdump dropped a packet or stopped).
 * - stop_ms (`--scenario interruption`): the interrupting speech onset (speech-events: the first
 *   speech_start after the turn's speech_end; streams: the frame numbered barge_in_chunk) -> the
 *   bot's first stop after it (stop_playback, clear, Realtime's response.done "cancelled").
 * - recovery_ms and recovery_total_ms (`--scenario interruption`): the end of the interrupting
 *   question (speech-events: the first speech_end after that speech_start; streams: the frame
 *   numbered barge_in_end_chunk) -> the bot's first / last reply audio after it (the last as for
 *   total_ms). Only turns without stale audio are ok, so the first audio after it is the answer's.
 * - resume_ms (`--scenario false-alarm`, speech-events): the noise's speech_end -> the bot's
 *   playback_resume after it; ttft_ms and total_ms as for simple queries (in every protocol), the
 *   reply running on past the noise to the next turn's end of speech.
 * - tool_ms (`--scenario tool`, speech-events and openai-realtime): the bot's tool call (tool_call;
 *   response.function_call_arguments.done) -> its tool_result (Realtime: the first audio after it,
 *   the response to the function's output), both as received, so the error can go either way;
 *   ttft_ms and total_ms as above.
 * - endpoint_ms (openai-realtime, simple queries): the end-of-speech frame -> speech_stopped.
 *
 * The bot (`voxbench serve`) and the callers (`voxbench run`) each run in their own process, as a
 * user runs them. Needs tcpdump (Debian's package) and the right to capture on lo (root).
 *
 *   node --import tsx bench/wire-fidelity.ts [--protocol speech-events|twilio|pcm|openai-realtime] [--counts 10,100]
 *        [--requests 5] [--runtime node|deno] [--reply-delay-ms 300] [--client voxbench|bare]
 *        [--scenario simple|interruption|false-alarm|tool] [--keep]
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
import { readWireConnections, type WireConnection, type WireFrameSeen } from "./wire-frames.ts";

const protocol = option("--protocol", "twilio");
const counts = option("--counts", "10,100").split(",").map(Number);
const requests = Number(option("--requests", "5"));
const runtime = option("--runtime", "node");
const replyDelayMs = option("--reply-delay-ms", "300");
const client = option("--client", "voxbench");
const scenario = option("--scenario", "simple");
// --keep: leave the capture (run.pcap) and the run's folder in place, print where, and name the turns with the largest errors.
const keep = process.argv.includes("--keep");
if (!["simple", "interruption", "false-alarm", "tool"].includes(scenario)) {
  throw new Error("--scenario: simple, interruption, false-alarm or tool");
}
if (scenario === "tool" && protocol !== "speech-events" && protocol !== "openai-realtime") {
  throw new Error("--scenario tool: speech-events or openai-realtime (the protocols with tool events)");
}
if (scenario !== "simple" && client === "bare") {
  throw new Error("the bare client asks simple queries only");
}

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

/** What a protocol's frames mean on the wire, for one turn (a row of turns.csv). */
interface WireTurn {
  /** The caller's frame whose first byte starts ttft_ms and total_ms. */
  readonly isEnd: (frame: WireFrameSeen) => boolean;
  /** The caller's frame whose first byte starts stop_ms: the first match after the end frame. */
  readonly isOnset: (frame: WireFrameSeen) => boolean;
  /** The caller's frame whose first byte starts recovery_ms: the first match after the onset frame. */
  readonly isBargeInEnd: (frame: WireFrameSeen) => boolean;
  readonly isAudio: (frame: WireFrameSeen) => boolean;
  /** The bot's stop (a cancelled Realtime response.done is its stop). */
  readonly isStop: (frame: WireFrameSeen) => boolean;
  /** The bot's resume after a false alarm (speech-events' playback_resume). */
  readonly isResume: (frame: WireFrameSeen) => boolean;
  /** The bot's decision that the caller stopped talking (Realtime's speech_stopped). */
  readonly isEndpoint: (frame: WireFrameSeen) => boolean;
  /** The bot's tool call, and what ends tool_ms after it (its tool_result; on Realtime, the next audio). */
  readonly isToolCall: (frame: WireFrameSeen) => boolean;
  readonly isToolDone: (frame: WireFrameSeen) => boolean;
  /** A caller's frame that ends speech (ends a reply's span for total_ms and recovery_total_ms). */
  readonly endsSpeech: (frame: WireFrameSeen) => boolean;
}

/** Intervals of one turn on the wire, by the turns.csv column they pair with. */
type WireIntervals = Partial<
  Record<
    | "ttft_ms"
    | "total_ms"
    | "stop_ms"
    | "recovery_ms"
    | "recovery_total_ms"
    | "resume_ms"
    | "endpoint_ms"
    | "tool_ms",
    number
  >
>;

/**
 * The intervals of one turn read from its connection's frames. Every predicate sees every caller
 * frame of the connection once, in order (those counting frames count from the first).
 */
function wireIntervals(connection: WireConnection, turn: WireTurn): WireIntervals {
  const frames = connection.frames;
  const marks = frames.map((frame) =>
    frame.from === "client"
      ? {
        end: turn.isEnd(frame),
        onset: turn.isOnset(frame),
        bargeInEnd: turn.isBargeInEnd(frame),
        endsSpeech: turn.endsSpeech(frame),
      }
      : undefined
  );
  const firstAfter = (from: number, mark: "end" | "onset" | "bargeInEnd" | "endsSpeech"): number =>
    from < 0 ? -1 : marks.findIndex((marked, index) => index > from && marked?.[mark] === true);
  const endIndex = marks.findIndex((marked) => marked?.end === true);
  const onsetIndex = firstAfter(endIndex, "onset");
  const bargeInEndIndex = firstAfter(onsetIndex, "bargeInEnd");
  const isReply = (frame: WireFrameSeen): boolean => frame.from === "server" && turn.isAudio(frame);
  const firstReply = (from: number): WireFrameSeen | undefined =>
    from < 0 ? undefined : frames.slice(from + 1).find(isReply);
  // A reply's last audio is known only up to where the capture is whole: before a later end of
  // speech on the connection, or before its close frame (tcpdump may stop before the last packets).
  const closed = frames.some((frame) => frame.opcode === 8);
  const lastReply = (from: number): WireFrameSeen | undefined => {
    if (from < 0) return undefined;
    const next = firstAfter(from, "endsSpeech");
    if (next < 0 && (connection.gapAtMs !== undefined || !closed)) return undefined;
    return frames.slice(from + 1, next < 0 ? frames.length : next).findLast(isReply);
  };
  const since = (from: number, to: WireFrameSeen | undefined): number | undefined =>
    to === undefined ? undefined : to.lastByteMs - frames[from]!.firstByteMs;
  const firstFromBot = (from: number, match: (frame: WireFrameSeen) => boolean): WireFrameSeen | undefined =>
    from < 0 ? undefined : frames.slice(from + 1).find((frame) => frame.from === "server" && match(frame));
  const intervals: WireIntervals = {
    ttft_ms: since(endIndex, firstReply(endIndex)),
    total_ms: since(endIndex, lastReply(endIndex)),
    stop_ms: since(onsetIndex, firstFromBot(onsetIndex, turn.isStop)),
    recovery_ms: since(bargeInEndIndex, firstReply(bargeInEndIndex)),
    recovery_total_ms: since(bargeInEndIndex, lastReply(bargeInEndIndex)),
    resume_ms: since(bargeInEndIndex, firstFromBot(bargeInEndIndex, turn.isResume)),
    endpoint_ms: since(endIndex, firstFromBot(endIndex, turn.isEndpoint)),
  };
  // tool_ms runs between two frames of the bot, each as received (its last byte).
  const toolCall = endIndex < 0
    ? -1
    : frames.findIndex((frame, index) =>
      index > endIndex && frame.from === "server" && turn.isToolCall(frame)
    );
  const toolDone = firstFromBot(toolCall, turn.isToolDone);
  if (toolDone) intervals.tool_ms = toolDone.lastByteMs - frames[toolCall]!.lastByteMs;
  return intervals;
}

/** The k-th frame matching `match`, counted over a connection from its first frame. */
function nth(k: number, match: (frame: WireFrameSeen) => boolean): (frame: WireFrameSeen) => boolean {
  let seen = 0;
  return (frame) => match(frame) && ++seen === k;
}

// The bare client's turns.csv holds ttft_ms only.
const metrics = client === "bare"
  ? ["ttft_ms"] as const
  : scenario === "simple"
  ? (protocol === "openai-realtime"
    ? ["ttft_ms", "total_ms", "endpoint_ms"] as const
    : ["ttft_ms", "total_ms"] as const)
  : scenario === "interruption"
  ? ["ttft_ms", "stop_ms", "recovery_ms", "recovery_total_ms"] as const
  : scenario === "tool"
  ? ["ttft_ms", "total_ms", "tool_ms"] as const
  : protocol === "speech-events"
  ? ["ttft_ms", "total_ms", "resume_ms"] as const
  : ["ttft_ms", "total_ms"] as const;
console.log(
  `${
    metrics.join(", ")
  } against a loopback capture: protocol ${protocol}, ${scenario} turns, bot and callers on ${runtime}, each in its own process; error = voxbench's figure - the wire's (ms)`,
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
  let tcpdumpOutput = "";
  tcpdump.stderr!.on("data", (chunk: Buffer) => (tcpdumpOutput += chunk.toString()));
  await waitForOutput(tcpdump, "stderr", /listening on/);
  const [botCommand, botArgs] = cliCommand([
    "serve",
    "--protocol",
    protocol,
    "--port",
    String(port),
    // A speech-events bot sends tool events from its staged pipeline (a fixed reply delay replaces it).
    ...(scenario === "tool" && protocol === "speech-events"
      ? [
        "--stt-ms",
        "100",
        "--llm-ttft-ms",
        "100",
        "--tts-ttfb-ms",
        "50",
        "--tool-ms",
        "300",
        "--tool-events",
      ]
      : ["--reply-delay-ms", replyDelayMs]),
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
    scenario === "simple" ? "1" : "0",
    "--tools",
    scenario === "tool" ? "1" : "0",
    "--interruptions",
    scenario === "interruption" ? "1" : "0",
    "--false-alarms",
    scenario === "false-alarm" ? "1" : "0",
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
  // tcpdump stops at once on SIGINT, dropping what its buffer still holds: let it drain first.
  await new Promise((resolve) => setTimeout(resolve, 1000));
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
  const bySession = new Map<string, WireConnection>();
  for (const connection of connections) {
    const match =
      /"session_id":"([^"]+)"|"streamSid":"(MZ[0-9a-f]+)"|"type":"session\.created","event_id":"[^"]*","session":\{"id":"([^"]+)"/
        .exec(connection.frames.map((frame) => frame.head).join("\n"));
    if (match) bySession.set(match[1] ?? match[2] ?? match[3]!, connection);
  }
  const errors = new Map<string, number[]>(metrics.map((metric) => [metric, []]));
  const worst = new Map<string, { error: number; turn: string }[]>(metrics.map((metric) => [metric, []]));
  const turnsOfConnection = new Map<string, number>();
  // A stream's reply ends where the next turn's speech ends on the same connection (or with it).
  const nextEndChunk = new Map<readonly string[], number>();
  const lastRowOfConnection = new Map<string, readonly string[]>();
  // Raw PCM carries no id: callers connect in client order (ramp-up spaces them 20 ms apart at
  // 100 callers), so a caller's connection is its client id's.
  const connectionOf = (row: readonly string[]): string =>
    protocol === "pcm" ? column(row, "client_id") : column(row, "session_id");
  for (const row of rows.slice(1)) {
    const previous = lastRowOfConnection.get(connectionOf(row));
    if (previous) nextEndChunk.set(previous, Number(column(row, "speech_end_chunk")));
    lastRowOfConnection.set(connectionOf(row), row);
  }
  let unpaired = 0;
  for (const row of rows.slice(1)) {
    if (column(row, "outcome") !== "ok") continue;
    const session = column(row, "session_id");
    const connection = protocol === "pcm"
      ? connections[Number(column(row, "client_id"))]
      : bySession.get(session);
    const turnOnConnection = turnsOfConnection.get(connectionOf(row)) ?? 0;
    turnsOfConnection.set(connectionOf(row), turnOnConnection + 1);
    if (!connection) {
      unpaired++;
      continue;
    }
    const endChunk = Number(column(row, "speech_end_chunk"));
    const onsetChunk = Number(column(row, "barge_in_chunk"));
    const bargeInEndChunk = Number(column(row, "barge_in_end_chunk"));
    const followingEnd = nextEndChunk.get(row) ?? Infinity;
    const head = (prefix: string) => (frame: WireFrameSeen): boolean => frame.head.startsWith(prefix);
    let turn: WireTurn;
    if (protocol === "pcm") {
      const binary = (frame: WireFrameSeen): boolean => frame.opcode === 2;
      turn = {
        isEnd: nth(endChunk, binary),
        isOnset: nth(onsetChunk, binary),
        isBargeInEnd: nth(bargeInEndChunk, binary),
        isAudio: binary,
        isStop: head('{"type":"clear"'),
        isResume: () => false,
        isEndpoint: () => false,
        isToolCall: () => false,
        isToolDone: () => false,
        endsSpeech: nth(followingEnd, binary),
      };
    } else if (protocol === "openai-realtime") {
      // The k-th input_audio_buffer.append of the connection; the reply is its audio deltas.
      const append = head('{"type":"input_audio_buffer.append"');
      turn = {
        isEnd: nth(endChunk, append),
        isOnset: nth(onsetChunk, append),
        isBargeInEnd: nth(bargeInEndChunk, append),
        isAudio: head('{"type":"response.output_audio.delta"'),
        isStop: (frame) =>
          frame.head.startsWith('{"type":"response.done"') && frame.head.includes('"status":"cancelled"'),
        isResume: () => false,
        isEndpoint: head('{"type":"input_audio_buffer.speech_stopped"'),
        isToolCall: head('{"type":"response.function_call_arguments.done"'),
        // Realtime's tool_ms ends at the audio of the response after the function's output.
        isToolDone: head('{"type":"response.output_audio.delta"'),
        endsSpeech: nth(followingEnd, append),
      };
    } else if (protocol === "twilio") {
      turn = {
        isEnd: (frame) => frame.head.includes(`"chunk":"${endChunk}"`),
        isOnset: (frame) => frame.head.includes(`"chunk":"${onsetChunk}"`),
        isBargeInEnd: (frame) => frame.head.includes(`"chunk":"${bargeInEndChunk}"`),
        isAudio: head('{"event":"media"'),
        isStop: head('{"event":"clear"'),
        isResume: () => false,
        isEndpoint: () => false,
        isToolCall: () => false,
        isToolDone: () => false,
        endsSpeech: (frame) => frame.head.includes(`"chunk":"${followingEnd}"`),
      };
    } else {
      // A turn's speech_end is found by count: a simple query or a tool call speaks once, an
      // interruption or a false alarm twice (the question, then the interrupting one or the noise);
      // the barge-in is the first speech_start after it, and the interrupting question or the noise
      // ends with the first speech_end after that. A false alarm's reply goes on past the noise, to
      // the next turn.
      const utterances = scenario === "simple" || scenario === "tool" ? 1 : 2;
      const speechEnd = head('{"type":"speech_end"');
      turn = {
        isEnd: nth(turnOnConnection * utterances + 1, speechEnd),
        isOnset: head('{"type":"speech_start"'),
        isBargeInEnd: speechEnd,
        isAudio: head('{"event":"play_audio"'),
        isStop: head('{"event":"stop_playback"'),
        isResume: head('{"event":"playback_resume"'),
        isEndpoint: () => false,
        isToolCall: head('{"event":"tool_call"'),
        isToolDone: head('{"event":"tool_result"'),
        endsSpeech: scenario === "false-alarm"
          ? nth((turnOnConnection + 1) * utterances + 1, speechEnd)
          : speechEnd,
      };
    }
    const pairs = wireIntervals(connection, turn);
    if (metrics.some((metric) => pairs[metric] === undefined || column(row, metric) === "")) {
      unpaired++;
      continue;
    }
    for (const metric of metrics) {
      const error = Number(column(row, metric)) - pairs[metric]!;
      errors.get(metric)!.push(error);
      worst.get(metric)!.push({
        error,
        turn: `client ${column(row, "client_id")} turn ${column(row, "turn_index")} (session ${
          session || "-"
        })`,
      });
    }
  }
  console.log(
    [
      `c=${String(concurrency).padStart(3)} ${errors.get("ttft_ms")!.length} turns paired${
        unpaired ? ` (${unpaired} unpaired)` : ""
      }, exit ${code}`,
      `capture: ${/(\d+) packets? dropped by kernel/.exec(tcpdumpOutput)?.[1] ?? "?"} packets dropped, ${
        connections.filter((connection) => connection.gapAtMs !== undefined).length
      } connections with a gap`,
      client === "bare" ? "bare ws client" : "",
      health?.frameSendLagMs ? `frame send lag p99 ${health.frameSendLagMs.p99.toFixed(2)} ms` : "",
      health ? `CPU ${health.cpuSeconds.toFixed(1)} s` : "",
      health ? (health.valid ? "valid" : `INVALID (${health.reasons.join("; ")})`) : "",
    ]
      .filter(Boolean)
      .join(" | "),
  );
  for (const [metric, values] of errors) {
    const absolute = summarize(values.map(Math.abs));
    const signed = summarize(values);
    console.log(
      `  ${metric.padEnd(17)} |error| p50 ${absolute?.median.toFixed(2)} p95 ${
        absolute?.p95.toFixed(2)
      } p99 ${absolute?.p99.toFixed(2)} max ${absolute?.max.toFixed(2)} | signed min ${
        signed?.min.toFixed(2)
      } median ${signed?.median.toFixed(2)}`,
    );
    if (keep) {
      const largest = worst.get(metric)!.sort((a, b) => Math.abs(b.error) - Math.abs(a.error)).slice(0, 3);
      console.log(
        `    largest: ${largest.map((entry) => `${entry.error.toFixed(2)} ms at ${entry.turn}`).join("; ")}`,
      );
    }
  }
  if (keep) console.log(`  capture and turns kept in ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
