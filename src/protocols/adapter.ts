/**
 * The seam between voxbench and a wire protocol. A protocol is one folder under src/protocols/
 * (its codec, its caller side, its reference-bot side) exporting one {@link ProtocolAdapter},
 * registered by one line in registry.ts. Scenarios, metrics and reports never see the protocol:
 * they speak utterances and read {@link SessionEvent}s.
 */
import type { AudioAsset } from "../audio/asset.ts";
import type { PcmClip } from "../audio/pcm.ts";
import type { WireFormat } from "../audio/wire-format.ts";

/**
 * A frame for the socket: a string goes as a text frame, bytes as a binary frame, and `{ utf8 }` as
 * a text frame given by its UTF-8 bytes (serialised once, sent by many connections).
 */
export type WireFrame = string | Uint8Array | { readonly utf8: Uint8Array };

/**
 * What ws.send takes for a frame, and whether it is binary.
 *
 * @example
 * ```ts
 * import { frameForSocket } from "./adapter.ts";
 * console.log(frameForSocket("{}").binary, frameForSocket(new Uint8Array(2)).binary, frameForSocket({ utf8: new Uint8Array(2) }).binary); // false true false
 * ```
 */
export function frameForSocket(frame: WireFrame): { readonly data: string | Uint8Array; readonly binary: boolean } {
  if (typeof frame === "string") return { data: frame, binary: false };
  if (frame instanceof Uint8Array) return { data: frame, binary: true };
  return { data: frame.utf8, binary: false };
}

/**
 * What a caller's session sees from a bot, whatever the wire protocol: each protocol's caller side
 * turns its frames into these events, stamped with the monotonic time read in the socket callback.
 */
export type SessionEventBody =
  | { readonly kind: "connected"; readonly sessionId: string }
  | {
      readonly kind: "audio";
      /** Decoded reply samples, or undefined when the payload's format is unknown (e.g. MP3). */
      readonly samples: Int16Array | undefined;
      readonly sampleRateHz: number | undefined;
      readonly durationMs: number | undefined;
      readonly byteLength: number;
    }
  /** The bot stopped talking because it was interrupted (stop_playback, Twilio's clear). */
  | { readonly kind: "stop"; readonly message: string | undefined }
  | { readonly kind: "resume" }
  /** The bot dropped the audio queued so far and starts a new reply (playback_reset). */
  | { readonly kind: "reset" }
  /** The bot's explicit end of a reply. */
  | { readonly kind: "done" }
  /** The bot asks to be told when the audio it sent before this mark has played (Twilio's mark). */
  | { readonly kind: "mark"; readonly name: string }
  | { readonly kind: "metrics"; readonly timings: Readonly<Record<string, unknown>> }
  | { readonly kind: "tool_call"; readonly name: string; readonly callId: string }
  | { readonly kind: "tool_result"; readonly name: string; readonly callId: string }
  | { readonly kind: "server_error"; readonly message: string }
  | { readonly kind: "protocol_error"; readonly message: string }
  | { readonly kind: "unknown"; readonly name: string }
  | { readonly kind: "closed"; readonly code: number; readonly reason: string };

/** A session event with its receive time. */
export type SessionEvent = SessionEventBody & { readonly atMs: number };

/** How replies' audio is encoded when a payload carries no header of its own. */
export interface ReplyAudioFormat {
  readonly encoding: WireFormat["encoding"];
  readonly sampleRateHz: number;
}

/**
 * How an utterance goes on the wire for a protocol where the caller sends whole utterances (its own
 * VAD decides when it stopped talking): frames, each at an offset from the utterance's start on the
 * caller's clock. The send time of `onsetFrame` is the utterance's speech onset; that of `endFrame`
 * its end of speech.
 */
export interface UtterancePlan {
  readonly frames: readonly { readonly offsetMs: number; readonly frame: WireFrame }[];
  readonly onsetFrame: number;
  readonly endFrame: number;
}

/** What a caller side is told about the run when a connection opens. */
export interface CallerOptions {
  /** The caller's audio on the wire (already resolved by {@link ProtocolAdapter.callerFormat}). */
  readonly wireFormat: WireFormat;
  /** How to read headerless reply audio. */
  readonly replyFormat: ReplyAudioFormat;
  /** Name/value pairs the protocol passes to the bot at the start of a call (Twilio's customParameters). */
  readonly parameters: Readonly<Record<string, string>>;
  /** Distinct per connection of a run: seeds the protocol's own identifiers (Twilio's streamSid). */
  readonly connectionKey: string;
}

/**
 * The caller side of a protocol for one connection: what to send, and how to read what comes
 * back. Stateful where the protocol numbers its messages.
 */
export interface CallerSide {
  /** The call's id on the caller's side, where the protocol has one (Twilio's streamSid): the turns' session_id unless the bot names its own. */
  readonly sessionId?: string;
  /** Frames sent as soon as the connection is open, in order (Twilio's connected and start). */
  opening(): WireFrame[];
  /**
   * The frames of one utterance, for protocols whose {@link ProtocolAdapter.transport} is
   * "utterance".
   */
  utterancePlan(asset: AudioAsset, intent: string | undefined): UtterancePlan;
  /** The frame carrying one microphone frame of encoded audio, for "stream" protocols. */
  audioFrame(audio: Uint8Array): WireFrame;
  /** Decodes one frame from the bot into zero or more events (without the time stamp). */
  decode(data: Uint8Array, isBinary: boolean): SessionEventBody[];
  /** The answer to a mark once the audio sent before it has played, where the protocol has one (Twilio). */
  markPlayed(name: string): WireFrame | undefined;
  /** Frames sent before the caller hangs up (Twilio's stop). */
  closing(): WireFrame[];
}

/** What the reference bot reads from a caller. */
export type BotInput =
  /** The caller started talking (its own VAD, or the bot's VAD on the stream). */
  | { readonly kind: "speech_start" }
  /** A whole utterance, ended by the caller (speech-events). */
  | { readonly kind: "utterance"; readonly clip: PcmClip; readonly intent: string | undefined }
  /** One frame of the caller's streamed audio. */
  | { readonly kind: "audio"; readonly samples: Int16Array; readonly sampleRateHz: number }
  /** The caller's answer to a mark. */
  | { readonly kind: "mark"; readonly name: string }
  /** The caller hung up (Twilio's stop). */
  | { readonly kind: "hangup" }
  /** A frame the bot answers with an error event (malformed, not allowed). */
  | { readonly kind: "invalid"; readonly reason: string }
  /** A frame the protocol allows and the bot has nothing to do with. */
  | { readonly kind: "ignored" };

/** One chunk of a reply, prepared once and shared by every connection. */
export interface ReplyChunk {
  /** The chunk's audio, base64 of the reply format's bytes. */
  readonly base64: string;
  readonly durationMs: number;
  /** Its index in the reply. */
  readonly index: number;
}

/** Stage timings the bot reports for a turn, where the protocol has a way to. */
export interface BotTimings {
  readonly turn: number;
  readonly stt_ms?: number;
  readonly queue_ms?: number;
  readonly llm_ttft_ms?: number;
  readonly tool_ms?: number;
  readonly tts_ttfb_ms?: number;
  readonly first_chunk_delay_ms?: number;
}

/**
 * The reference bot's side of a protocol for one connection: it reads the caller's frames and
 * writes the bot's. Each method returns the frames to send (none where the protocol has no such
 * message: Twilio has no end-of-reply or resume event).
 */
export interface BotSide {
  /** Frames sent when a caller connects (speech-events' connected). */
  greeting(sessionId: string): WireFrame[];
  decode(data: Uint8Array, isBinary: boolean): BotInput[];
  replyChunk(chunk: ReplyChunk): WireFrame[];
  /** The bot stops talking because the caller interrupted. */
  stop(): WireFrame[];
  /** The bot goes on after a false alarm. */
  resume(): WireFrame[];
  /** The bot drops its reply to start a new one. */
  reset(): WireFrame[];
  /** Every chunk of the reply has been sent. */
  done(): WireFrame[];
  metrics(timings: BotTimings): WireFrame[];
  toolCall(name: string, callId: string): WireFrame[];
  toolResult(name: string, callId: string, durationMs: number): WireFrame[];
  error(message: string): WireFrame[];
}

/** What the reference bot's side is told about the server when a caller connects. */
export interface BotOptions {
  /** Rate of headerless PCM16 in a speech_end (speech-events). */
  readonly inputSampleRateHz: number;
}

/**
 * One wire protocol, both sides.
 *
 * @example
 * ```ts
 * import { protocolByName } from "./registry.ts";
 * const twilio = protocolByName("twilio");
 * console.log(twilio.transport, twilio.callerFormat({ encoding: "pcm16", sampleRateHz: 16000 }).encoding); // "stream" "mulaw"
 * ```
 */
export interface ProtocolAdapter {
  /** The name of `--protocol`, e.g. "twilio". */
  readonly name: string;
  /**
   * "utterance": the caller sends each utterance whole when it stops talking (its own VAD);
   * "stream": the caller streams real-time audio frames for the whole call, silence included, and
   * the bot's VAD decides when it stopped talking.
   */
  readonly transport: "utterance" | "stream";
  /** The caller's audio format on this protocol, from what was asked for (Twilio: always mu-law 8 kHz). */
  callerFormat(requested: WireFormat): WireFormat;
  /** The reply audio format the bot sends on this protocol, from what was asked for. */
  replyFormat(requested: ReplyAudioFormat): ReplyAudioFormat;
  /** The caller side for one new connection. */
  caller(options: CallerOptions): CallerSide;
  /** The reference bot's side for one new connection. */
  bot(options: BotOptions): BotSide;
}
