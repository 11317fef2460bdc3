/**
 * The seam between voxbench and a wire protocol. A protocol is one folder under src/protocols/
 * (its codec, its caller side, its reference-bot side) exporting one {@link ProtocolAdapter},
 * registered by one line in registry.ts. Scenarios, metrics and reports never see the protocol:
 * they speak utterances and read {@link SessionEvent}s.
 */
import type { AudioAsset, AudioRole } from "../audio/asset.ts";
import type { PcmClip } from "../audio/pcm.ts";
import type { FrameLevels } from "../audio/vad.ts";
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
export function frameForSocket(
  frame: WireFrame,
): { readonly data: string | Uint8Array; readonly binary: boolean } {
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
  /** The bot's own VAD saw the caller start or stop talking (Realtime's input_audio_buffer.speech_started/stopped). */
  | { readonly kind: "vad"; readonly edge: "start" | "end" }
  /** How one of the bot's responses ended and what it cost, where the protocol says (Realtime's response.done). */
  | {
    readonly kind: "response_status";
    readonly status: string;
    readonly reason: string | undefined;
    readonly inputTokens: number | undefined;
    readonly outputTokens: number | undefined;
  }
  | { readonly kind: "server_error"; readonly message: string }
  /** `wrongProtocol`: the bot speaks another protocol or dialect (nothing it sends can be read): waiting for its reply is pointless. */
  | { readonly kind: "protocol_error"; readonly message: string; readonly wrongProtocol?: boolean }
  | { readonly kind: "unknown"; readonly name: string }
  | { readonly kind: "closed"; readonly code: number; readonly reason: string };

/**
 * Reply audio as a session logs it: its samples reduced to the VAD's frame levels on arrival (all
 * the reply analysis reads), so a caller holds a few hundred bytes per second of reply audio, not
 * the audio itself. `levels` is undefined when the payload's format is unknown.
 */
export interface LoggedAudio {
  readonly kind: "audio";
  readonly levels: FrameLevels | undefined;
  readonly sampleRateHz: number | undefined;
  readonly durationMs: number | undefined;
  readonly byteLength: number;
}

/** A session event with its receive time (reply audio as {@link LoggedAudio}). */
export type SessionEvent = (Exclude<SessionEventBody, { readonly kind: "audio" }> | LoggedAudio) & {
  readonly atMs: number;
};

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

/**
 * Frames a protocol's client sends on its own, in answer to the bot: after `afterMs` (0: at once).
 * Realtime's `conversation.item.truncate` after a stop, a tool's output after the tool ran.
 */
export interface CallerAnswer {
  readonly afterMs: number;
  readonly frames: readonly WireFrame[];
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
  /** Where the client runs the bot's tools (Realtime's function calls): how long a tool takes before its output is sent. Default 0. */
  readonly toolResultMs?: number;
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
  /**
   * What the client must send in answer to a logged event (stamped), where the protocol asks the
   * client to act: Realtime truncates an interrupted item to what was played, and returns tool outputs.
   */
  answer?(event: SessionEvent): readonly CallerAnswer[];
  /**
   * Frames sent right after the frame holding an utterance's speech onset, on a stream (Realtime's
   * manual mode cancels a reply being played). `role` is the clip's: a client that decides turns
   * itself does not act on a "noise".
   */
  startOfSpeech?(role: AudioRole): WireFrame[];
  /** Frames sent right after the frame holding an utterance's end of speech, on a stream (Realtime's manual mode commits and asks for a reply). */
  endOfSpeech?(role: AudioRole): WireFrame[];
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
  | { readonly kind: "ignored" }
  /** Frames the protocol's bot side answers by itself (Realtime's session.updated, conversation.item.truncated). */
  | { readonly kind: "answer"; readonly frames: readonly WireFrame[] }
  /** How the caller wants its turns detected (Realtime's session.update): the bot's VAD with this silence, or manual commits. */
  | {
    readonly kind: "turn_detection";
    readonly mode: "server" | "manual";
    readonly silenceMs: number | undefined;
    readonly interrupt: boolean;
  }
  /** Manual turns: the caller ended its utterance (Realtime's input_audio_buffer.commit). */
  | { readonly kind: "commit" }
  /** The caller asks for a reply (Realtime's response.create): to a committed utterance, or after a tool's output. */
  | { readonly kind: "respond" }
  /** The caller cancels the reply in progress (Realtime's response.cancel). */
  | { readonly kind: "cancel" };

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
  /** The bot's VAD heard the caller start talking at `audioStartMs` of the call's audio, where the protocol says so (Realtime's speech_started). */
  speechStarted?(audioStartMs: number): WireFrame[];
  /** The bot's VAD decided the caller stopped talking at `audioEndMs` of the call's audio (Realtime's speech_stopped, committed, item added). */
  speechStopped?(audioEndMs: number): WireFrame[];
  /** Set where a stop ends the reply for good (Realtime's cancelled response): the bot never resumes it. */
  readonly stopEndsReply?: boolean;
  /** Set where the client runs tools (Realtime's function calls): the bot waits for the output instead of the tool's time. */
  readonly clientRunsTools?: boolean;
  /** Set where every reply must end with the protocol's end event (Realtime's response.done), whatever --done-event says. */
  readonly alwaysEndsReplies?: boolean;
}

/** What the reference bot's side is told about the server when a caller connects. */
export interface BotOptions {
  /** Rate of headerless PCM16 in a speech_end (speech-events). */
  readonly inputSampleRateHz: number;
  /** The format the server's reply chunks are in (a protocol whose caller picks another converts them). */
  readonly replyFormat?: ReplyAudioFormat;
  /** The caller's handshake headers (lower-case names): Realtime speaks the beta API to `OpenAI-Beta: realtime=v1`. */
  readonly requestHeaders?: Readonly<Record<string, string | string[] | undefined>>;
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
  /** Handshake headers every caller sends on this protocol (Realtime beta: `OpenAI-Beta: realtime=v1`); --header wins. */
  readonly handshakeHeaders?: Readonly<Record<string, string>>;
  /** The protocol's settings as run, for summary.json (Realtime's API and session). */
  readonly settings?: Readonly<Record<string, unknown>>;
}
