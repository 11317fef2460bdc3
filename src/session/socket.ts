import WebSocket from "ws";
import { monotonicNowMs } from "../common/clock.ts";
import { redactUrl } from "../common/redact.ts";

/** How to open a caller's connection. */
export interface ConnectOptions {
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Accept self-signed or otherwise unverifiable TLS certificates (wss://). */
  readonly insecure?: boolean;
  /** Largest message accepted from the server; larger ones close the connection (1009). */
  readonly maxMessageBytes?: number;
  /** Abandons the connect at once when aborted (Ctrl-C): rejects with a cancelled ConnectError. */
  readonly signal?: AbortSignal;
}

/** A frame that arrived before anyone listened (a server may greet in the handshake's own packet). */
export interface EarlyMessage {
  readonly data: Buffer | ArrayBuffer | Buffer[];
  readonly isBinary: boolean;
  readonly atMs: number;
}

/** An open socket and how long opening it took. */
export interface OpenedSocket {
  readonly ws: WebSocket;
  readonly connectStartMs: number;
  readonly openedAtMs: number;
  /** Stops buffering and hands over the frames that arrived so far, stamped on arrival. */
  takeEarlyMessages(): EarlyMessage[];
}

/** A connection that could not be opened, with a one-line reason. */
export class ConnectError extends Error {
  override readonly name = "ConnectError";
  constructor(
    message: string,
    /** True when the connect was abandoned because the run was stopped, not because it failed. */
    readonly cancelled = false,
  ) {
    super(message);
  }
}

/**
 * Opens a WebSocket, stamping the start just before the connect and the end in the `open` callback.
 * Every failure becomes a ConnectError with one printable line (refused, DNS, TLS, HTTP status,
 * timeout).
 *
 * @example
 * ```ts
 * import { openSocket } from "./socket.ts";
 * await openSocket({ url: "ws://127.0.0.1:9/ws", connectTimeoutMs: 1000 }).catch((error) => console.log(error.message));
 * // "connection refused (ws://127.0.0.1:9/ws)"
 * ```
 */
export function openSocket(options: ConnectOptions): Promise<OpenedSocket> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ConnectError("the run was stopped before connecting", true));
      return;
    }
    const connectStartMs = monotonicNowMs();
    const shownUrl = redactUrl(options.url);
    let settled = false;
    let ws: WebSocket;
    const onAbort = (): void => fail("the run was stopped while connecting", true);
    const fail = (message: string, cancelled = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      ws.removeAllListeners();
      ws.on("error", () => {});
      ws.terminate();
      reject(new ConnectError(message, cancelled));
    };
    const timer = setTimeout(
      () => fail(`no WebSocket handshake within ${options.connectTimeoutMs} ms`),
      options.connectTimeoutMs,
    );
    try {
      ws = new WebSocket(options.url, {
        headers: { ...options.headers },
        rejectUnauthorized: !options.insecure,
        perMessageDeflate: false,
        maxPayload: options.maxMessageBytes ?? 64 * 1024 * 1024,
        handshakeTimeout: options.connectTimeoutMs,
      });
    } catch (error) {
      clearTimeout(timer);
      reject(
        new ConnectError(
          `invalid server URL ${shownUrl} (${error instanceof Error ? error.message : String(error)})`,
        ),
      );
      return;
    }
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const early: EarlyMessage[] = [];
    const buffer = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => {
      early.push({ data, isBinary, atMs: monotonicNowMs() });
    };
    ws.on("message", buffer);
    ws.once("open", () => {
      const openedAtMs = monotonicNowMs();
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      ws.removeAllListeners("unexpected-response");
      resolve({
        ws,
        connectStartMs,
        openedAtMs,
        takeEarlyMessages: () => {
          ws.off("message", buffer);
          return early.splice(0);
        },
      });
    });
    ws.on("unexpected-response", (_request, response) => {
      fail(
        `handshake rejected: HTTP ${response.statusCode ?? "?"}${
          response.statusMessage ? ` ${response.statusMessage}` : ""
        }`,
      );
    });
    ws.on("error", (error: NodeJS.ErrnoException) => fail(describeConnectError(error, shownUrl)));
  });
}

function describeConnectError(error: NodeJS.ErrnoException, url: string): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return `connection refused (${url})`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot resolve host of ${url}`;
    case "ECONNRESET":
      return url.startsWith("wss:")
        ? `connection reset during the handshake (${url}); does the server speak TLS on this port?`
        : `connection reset during the handshake (${url})`;
    case "ETIMEDOUT":
      return `connection timed out (${url})`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `host unreachable (${url})`;
  }
  if (
    error.code?.startsWith("ERR_TLS") || error.code?.includes("CERT") || /certificate/i.test(error.message)
  ) {
    return `TLS certificate rejected (${error.code ?? error.message}); use --insecure to accept it`;
  }
  // OpenSSL's own text is a multi-line dump ("error:0A00010B:SSL routines::wrong version number").
  if (
    error.code === "ERR_SSL_WRONG_VERSION_NUMBER" ||
    /wrong version number|packet length too long|http request/i.test(error.message)
  ) {
    return `TLS handshake failed: the server does not speak TLS on this port (${url}); use ws:// for a plain port`;
  }
  if (error.code?.startsWith("ERR_SSL") || /SSL routines/i.test(error.message)) {
    return `TLS handshake failed (${error.code ?? "SSL error"}) (${url})`;
  }
  return `${error.message.split("\n")[0]} (${url})`;
}
