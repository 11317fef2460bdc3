import { UsageError } from "../common/errors.ts";
import type { ProtocolAdapter } from "./adapter.ts";
import { speechEvents } from "./speech-events/protocol.ts";
import { twilio } from "./twilio/protocol.ts";
import { pcm } from "./pcm/protocol.ts";
import { openaiRealtime, openaiRealtimeDefault, type RealtimeOptions } from "./openai-realtime/protocol.ts";

/** Every protocol voxbench speaks, by `--protocol` name: adding one is a folder and a line here. */
export const PROTOCOLS: Readonly<Record<string, ProtocolAdapter>> = {
  "speech-events": speechEvents,
  twilio,
  pcm,
  "openai-realtime": openaiRealtimeDefault,
};

/** The protocol runs use when none is named. */
export const DEFAULT_PROTOCOL = "speech-events";

/**
 * The protocol named `name`.
 *
 * @throws {UsageError} naming the known protocols.
 * @example
 * ```ts
 * import { protocolByName } from "./registry.ts";
 * console.log(protocolByName("twilio").transport); // "stream"
 * ```
 */
export function protocolByName(name: string): ProtocolAdapter {
  const protocol = Object.hasOwn(PROTOCOLS, name) ? PROTOCOLS[name] : undefined;
  if (!protocol) {
    throw new UsageError(
      `--protocol: unknown protocol "${name}" (known: ${Object.keys(PROTOCOLS).join(", ")})`,
    );
  }
  return protocol;
}

/** Settings of one protocol, given beside its name. */
export interface ProtocolSettings {
  /** OpenAI Realtime: the API dialect and the session sent on open. */
  readonly realtime?: RealtimeOptions;
}

/**
 * A protocol given by name (with its settings) or as an adapter object (a library user's own protocol).
 *
 * @throws {UsageError} for an unknown name, or settings of another protocol.
 * @example
 * ```ts
 * import { resolveProtocol } from "./registry.ts";
 * console.log(resolveProtocol(undefined).name); // "speech-events"
 * console.log(resolveProtocol("openai-realtime", { realtime: { api: "beta" } }).handshakeHeaders); // { "OpenAI-Beta": "realtime=v1" }
 * ```
 */
export function resolveProtocol(
  protocol: string | ProtocolAdapter | undefined,
  settings: ProtocolSettings = {},
): ProtocolAdapter {
  const resolved = protocol === undefined
    ? PROTOCOLS[DEFAULT_PROTOCOL]!
    : typeof protocol === "string"
    ? protocolByName(protocol)
    : protocol;
  if (settings.realtime !== undefined) {
    if (resolved.name !== "openai-realtime") {
      throw new UsageError(
        `--realtime-session and --realtime-api are for --protocol openai-realtime (this run speaks ${resolved.name})`,
      );
    }
    if (resolved === PROTOCOLS["openai-realtime"]) return openaiRealtime(settings.realtime);
  }
  return resolved;
}
