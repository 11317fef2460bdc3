import { PROTOCOLS } from "../protocols/registry.ts";
import type { FlagSpec } from "./flag-spec.ts";

/** Every flag of `voxbench serve`, with its help text (the defaults it states are checked against SERVER_DEFAULTS). */
export const SERVE_FLAGS: readonly FlagSpec[] = [
  {
    name: "--protocol <name>",
    description: `Wire protocol: ${Object.keys(PROTOCOLS).join(", ")} (default speech-events)`,
  },
  { name: "--host <host>", description: "Address to listen on (default 127.0.0.1)" },
  { name: "--port <port>", description: "Port; 0 picks a free one (default 8000)" },
  { name: "--seed <n>", description: "Seed for latencies, reply choice and faults (default 1)" },
  {
    name: "--reply-delay-ms <ms>",
    description: "Replace the pipeline by one fixed delay from speech_end received to first chunk sent",
  },
  {
    name: "--stt-ms <ms|median,p95>",
    description: "Speech-to-text delay: fixed, or log-normal from median and p95 (default 150,400)",
  },
  { name: "--llm-ttft-ms <ms|median,p95>", description: "LLM first-token delay (default 350,900)" },
  { name: "--tts-ttfb-ms <ms|median,p95>", description: "Text-to-speech first-byte delay (default 120,300)" },
  {
    name: "--tool-ms <ms|median,p95>",
    description: "Tool execution delay (tool-call turns) (default 800,2000)",
  },
  {
    name: "--max-concurrent-replies <n>",
    description: "Simulated LLM slots; further turns queue (default: unbounded)",
  },
  { name: "--chunk-ms <ms>", description: "Reply chunk length (default 100)" },
  { name: "--pace <factor>", description: "Reply pace: 1 = real time, 2 = twice as fast (default 1)" },
  { name: "--leading-silence-ms <ms>", description: "Silence before the reply's speech (default 0)" },
  { name: "--reply-sample-rate <hz>", description: "Reply audio sample rate (default 16000)" },
  {
    name: "--reply-encoding <pcm16|mulaw>",
    description: "Reply audio encoding (raw, base64 in play_audio) (default pcm16)",
  },
  {
    name: "--input-sample-rate <hz>",
    description: "Rate of headerless PCM16 in speech_end (WAV carries its own) (default 16000)",
  },
  {
    name: "--noise-threshold-ms <ms>",
    description:
      "Less speech than this (energy VAD) is noise, not a turn (default 1000; streaming protocols: --min-speech-ms)",
  },
  {
    name: "--endpointing-ms <ms>",
    description: "Streaming protocols: silence after speech that ends the caller's utterance (default 500)",
  },
  {
    name: "--min-speech-ms <ms>",
    description:
      "Streaming protocols: speech must last this long to count (barge-in, a turn); shorter is noise (default 400)",
  },
  {
    name: "--tool-threshold-ms <ms>",
    description: "Utterances this long are tool calls (or intent tool_call) (default 2500)",
  },
  { name: "--done-event", description: 'Send {"event":"response_done"} after the last chunk' },
  { name: "--metrics-events", description: 'Send {"event":"metrics",...} with each turn\'s stage timings' },
  { name: "--tool-events", description: "Send tool_call and tool_result events" },
  {
    name: "--log-turns <file>",
    description: "Append one JSON line per turn with the server's own timestamps",
  },
  {
    name: "--fault-rate <0-1>",
    description: "Fraction of turns (and connections, for slow-handshake) that get a fault (default 0)",
  },
  {
    name: "--faults <list>",
    description: "Faults to inject: close,malformed,no-reply,slow-handshake,drop-chunks,error (default: all)",
  },
  { name: "--slow-handshake-ms <ms>", description: "Delay of a slow handshake (default 2000)" },
  {
    name: "--drop-chunk-percent <0-100>",
    description: "Share of a reply's chunks the drop-chunks fault drops (default 30)",
  },
  {
    name: "--audio-dir <dir>",
    description: "Where the bot's voice (role bot) comes from (default: bundled fixtures)",
  },
  {
    name: "--metrics-port <port>",
    description:
      "Serve live Prometheus metrics on this port at /metrics: turns, stage timings, connections, LLM slots (default: off)",
  },
];
