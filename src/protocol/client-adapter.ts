import type { AudioAsset } from "../audio/asset.ts";
import type { WireFormat } from "../audio/wire-format.ts";

/**
 * What a caller's session sees from a server, whatever the wire protocol: each protocol adapter
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
  | { readonly kind: "stop"; readonly message: string | undefined }
  | { readonly kind: "resume" }
  | { readonly kind: "reset" }
  | { readonly kind: "done" }
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
 * The client side of one wire protocol: what to send to speak, and how to read what comes back.
 *
 * @example
 * ```ts
 * import { speechEventsAdapter } from "./speech-events-client.ts";
 * const adapter = speechEventsAdapter({ encoding: "pcm16", sampleRateHz: 16000 });
 * console.log(adapter.speechStart()); // '{"type":"speech_start"}'
 * ```
 */
export interface ClientProtocolAdapter {
  readonly name: string;
  /** The frame announcing that the caller started talking. */
  speechStart(): string;
  /** The frame ending an utterance (the seed protocol carries the whole utterance here). */
  speechEnd(asset: AudioAsset, format: WireFormat, intent: string | undefined): string;
  /** Decodes one frame from the server into zero or more events (without the time stamp). */
  decode(data: string | Uint8Array, isBinary: boolean): SessionEventBody[];
}
