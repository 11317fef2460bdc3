/**
 * WebSocket frames read back from a packet capture of loopback (a classic pcap file, as tcpdump
 * writes it): each TCP connection's two byte streams are put back together, the HTTP upgrade is
 * skipped, and every WebSocket frame is listed with the capture time of the packet holding its first
 * byte and of the one holding its last. That is the wire's own account of when a frame went out and
 * when it was complete, with no process's scheduling in it.
 */
import { Buffer } from "node:buffer";

/** One WebSocket frame as it crossed the wire. */
export interface WireFrameSeen {
  /** "client" (the side that sent the HTTP upgrade request) or "server". */
  readonly from: "client" | "server";
  readonly opcode: number;
  /** The first bytes of the payload, unmasked (enough to tell a JSON message's type). */
  readonly head: string;
  readonly payloadLength: number;
  /** Capture time (ms) of the packet carrying the frame's first byte. */
  readonly firstByteMs: number;
  /** Capture time (ms) of the packet carrying the frame's last byte. */
  readonly lastByteMs: number;
}

/** A TCP connection's WebSocket frames in the order they were sent, each direction apart. */
export interface WireConnection {
  readonly key: string;
  readonly frames: WireFrameSeen[];
  /**
   * Capture time of the first segment after bytes the capture lost (tcpdump dropped a packet):
   * that direction's frames end before it, so what came later on the connection is unknown.
   * Undefined when both directions were captured whole.
   */
  readonly gapAtMs: number | undefined;
}

interface Direction {
  /** Reassembled bytes not yet parsed, and the capture time of each byte range appended. */
  buffer: Buffer;
  /** Sorted segments: [start offset in the stream, capture ms]. */
  readonly times: { offset: number; atMs: number }[];
  /** Stream offset of buffer[0]. */
  base: number;
  /** Next expected TCP sequence number. */
  nextSeq: number | undefined;
  upgraded: boolean;
  readonly from: "client" | "server";
  /** Set at the first segment after lost bytes; nothing after it is parsed. */
  gapAtMs: number | undefined;
}

const HEAD_BYTES = 256;

function timeAt(direction: Direction, offset: number): number {
  let atMs = direction.times[0]?.atMs ?? 0;
  for (const time of direction.times) {
    if (time.offset > offset) break;
    atMs = time.atMs;
  }
  return atMs;
}

function parseFrames(direction: Direction, out: WireFrameSeen[]): void {
  if (!direction.upgraded) {
    const end = direction.buffer.indexOf("\r\n\r\n");
    if (end < 0) return;
    direction.buffer = direction.buffer.subarray(end + 4);
    direction.base += end + 4;
    direction.upgraded = true;
  }
  for (;;) {
    const bytes = direction.buffer;
    if (bytes.length < 2) return;
    const opcode = bytes[0]! & 0x0f;
    const masked = (bytes[1]! & 0x80) !== 0;
    let length = bytes[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (bytes.length < 4) return;
      length = bytes.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (bytes.length < 10) return;
      length = Number(bytes.readBigUInt64BE(2));
      offset = 10;
    }
    const maskKey = masked ? bytes.subarray(offset, offset + 4) : undefined;
    if (masked) offset += 4;
    if (bytes.length < offset + length) return;
    const head = Buffer.from(bytes.subarray(offset, offset + Math.min(length, HEAD_BYTES)));
    if (maskKey) { for (let i = 0; i < head.length; i++) head[i]! ^= maskKey[i % 4]!; }
    out.push({
      from: direction.from,
      opcode,
      head: head.toString("latin1"),
      payloadLength: length,
      firstByteMs: timeAt(direction, direction.base),
      lastByteMs: timeAt(direction, direction.base + offset + length - 1),
    });
    direction.buffer = bytes.subarray(offset + length);
    direction.base += offset + length;
    // Keep only the segment times that can still matter.
    while (direction.times.length > 1 && direction.times[1]!.offset <= direction.base) {
      direction.times.shift();
    }
  }
}

/**
 * Reads a pcap file (Ethernet or Linux "cooked" link type, IPv4, TCP) and returns every WebSocket
 * connection on `port` with its frames. Retransmitted segments are skipped by sequence number.
 *
 * @example
 * ```ts
 * import { readWireConnections } from "./wire-frames.ts";
 * // const connections = readWireConnections(await readFile("run.pcap"), 8000);
 * ```
 */
export function readWireConnections(pcap: Buffer, port: number): WireConnection[] {
  const magic = pcap.readUInt32LE(0);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nanoseconds = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const read32 = (
    offset: number,
  ): number => (littleEndian ? pcap.readUInt32LE(offset) : pcap.readUInt32BE(offset));
  const linkType = read32(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 0 ? 4 : -1;
  if (linkHeader < 0) throw new Error(`unsupported pcap link type ${linkType}`);
  const connections = new Map<string, { client: Direction; server: Direction; frames: WireFrameSeen[] }>();
  let offset = 24;
  while (offset + 16 <= pcap.length) {
    const seconds = read32(offset);
    const fraction = read32(offset + 4);
    const capturedLength = read32(offset + 8);
    const atMs = seconds * 1000 + (nanoseconds ? fraction / 1e6 : fraction / 1e3);
    const packet = pcap.subarray(offset + 16, offset + 16 + capturedLength);
    offset += 16 + capturedLength;
    const ip = packet.subarray(linkHeader);
    if (ip.length < 20 || ip[0]! >> 4 !== 4 || ip[9] !== 6) continue;
    const ipHeader = (ip[0]! & 0x0f) * 4;
    const totalLength = ip.readUInt16BE(2);
    const tcp = ip.subarray(ipHeader, totalLength);
    const sourcePort = tcp.readUInt16BE(0);
    const destinationPort = tcp.readUInt16BE(2);
    if (sourcePort !== port && destinationPort !== port) continue;
    const seq = tcp.readUInt32BE(4);
    const flags = tcp[13]!;
    const payload = tcp.subarray((tcp[12]! >> 4) * 4);
    const clientPort = sourcePort === port ? destinationPort : sourcePort;
    const key = `${clientPort}`;
    let connection = connections.get(key);
    if (!connection) {
      const direction = (from: "client" | "server"): Direction => ({
        buffer: Buffer.alloc(0),
        times: [],
        base: 0,
        nextSeq: undefined,
        upgraded: false,
        from,
        gapAtMs: undefined,
      });
      connection = { client: direction("client"), server: direction("server"), frames: [] };
      connections.set(key, connection);
    }
    const direction = sourcePort === port ? connection.server : connection.client;
    if (flags & 0x02) {
      direction.nextSeq = (seq + 1) >>> 0;
      continue;
    }
    if (payload.length === 0 || direction.nextSeq === undefined || direction.gapAtMs !== undefined) continue;
    // Loopback delivers in order; a segment that starts before the next expected byte is a
    // retransmission, one that starts after it follows bytes the capture lost.
    if (seq !== direction.nextSeq) {
      if (((seq - direction.nextSeq) | 0) > 0) direction.gapAtMs = atMs;
      continue;
    }
    direction.nextSeq = (seq + payload.length) >>> 0;
    direction.times.push({ offset: direction.base + direction.buffer.length, atMs });
    direction.buffer = Buffer.concat([direction.buffer, payload]);
    parseFrames(direction, connection.frames);
  }
  return [...connections].map(([key, connection]) => {
    const gaps = [connection.client.gapAtMs, connection.server.gapAtMs].filter((atMs) => atMs !== undefined);
    return { key, frames: connection.frames, gapAtMs: gaps.length ? Math.min(...gaps) : undefined };
  });
}
