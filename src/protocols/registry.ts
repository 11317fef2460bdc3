import { UsageError } from "../common/errors.ts";
import type { ProtocolAdapter } from "./adapter.ts";
import { speechEvents } from "./speech-events/protocol.ts";
import { twilio } from "./twilio/protocol.ts";
import { pcm } from "./pcm/protocol.ts";

/** Every protocol voxbench speaks, by `--protocol` name: adding one is a folder and a line here. */
export const PROTOCOLS: Readonly<Record<string, ProtocolAdapter>> = {
  "speech-events": speechEvents,
  twilio,
  pcm,
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
  if (!protocol) throw new UsageError(`--protocol: unknown protocol "${name}" (known: ${Object.keys(PROTOCOLS).join(", ")})`);
  return protocol;
}

/**
 * A protocol given by name or as an adapter object (a library user's own protocol).
 *
 * @example
 * ```ts
 * import { resolveProtocol } from "./registry.ts";
 * console.log(resolveProtocol(undefined).name); // "speech-events"
 * ```
 */
export function resolveProtocol(protocol: string | ProtocolAdapter | undefined): ProtocolAdapter {
  if (protocol === undefined) return PROTOCOLS[DEFAULT_PROTOCOL]!;
  return typeof protocol === "string" ? protocolByName(protocol) : protocol;
}
