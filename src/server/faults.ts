import { deriveRandom, type Random } from "../common/random.ts";

/** Faults the reference server can inject, to check how a client classifies failures. */
export type FaultKind = "close" | "malformed" | "no-reply" | "slow-handshake" | "drop-chunks" | "error";

/** Every fault kind, in the order the CLI lists them. */
export const FAULT_KINDS: readonly FaultKind[] = [
  "close",
  "malformed",
  "no-reply",
  "slow-handshake",
  "drop-chunks",
  "error",
];

/** Fault injection settings. */
export interface FaultOptions {
  /** Fraction of turns (and, for slow-handshake, of connections) that get a fault, 0-1. */
  readonly rate: number;
  /** Which faults may be injected; one is chosen per faulty turn. */
  readonly kinds: readonly FaultKind[];
  /** Delay of a slow handshake. */
  readonly slowHandshakeMs: number;
  /** Share of a reply's chunks dropped by drop-chunks, 0-100. */
  readonly dropChunkPercent: number;
}

/** No faults. */
export const NO_FAULTS: FaultOptions = { rate: 0, kinds: [], slowHandshakeMs: 2000, dropChunkPercent: 30 };

/** A deterministic generator for one (seed, connection, turn) triple, independent of timing. */
export function randomFor(seed: number, connectionIndex: number, turnIndex: number): Random {
  return deriveRandom(seed, connectionIndex, turnIndex);
}

/**
 * The fault of a turn, or undefined. Depends only on the seed and the connection and turn numbers,
 * so the same run against the same server injects the same faults.
 *
 * @example
 * ```ts
 * import { turnFault } from "./faults.ts";
 * const options = { rate: 1, kinds: ["close"] as const, slowHandshakeMs: 0, dropChunkPercent: 0 };
 * console.log(turnFault(options, 7, 0, 0)); // "close"
 * ```
 */
export function turnFault(
  options: FaultOptions,
  seed: number,
  connectionIndex: number,
  turnIndex: number,
): FaultKind | undefined {
  const kinds = options.kinds.filter((kind) => kind !== "slow-handshake");
  if (kinds.length === 0 || options.rate <= 0) return undefined;
  const random = randomFor(seed, connectionIndex, turnIndex + 1);
  if (random.next() >= options.rate) return undefined;
  return kinds[random.index(kinds.length)];
}

/** The handshake delay of a connection: `slowHandshakeMs` for a `rate` fraction of them, else 0. */
export function handshakeDelayMs(options: FaultOptions, seed: number, connectionIndex: number): number {
  if (!options.kinds.includes("slow-handshake") || options.rate <= 0) return 0;
  return randomFor(seed, connectionIndex, 0).next() < options.rate ? options.slowHandshakeMs : 0;
}
