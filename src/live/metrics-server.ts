/**
 * The /metrics endpoint of a running voxbench or reference bot, in Prometheus' text format.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { UsageError } from "../common/errors.ts";

export interface MetricsEndpoint {
  /** The port it listens on (useful with port 0). */
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `registry` on `http://host:port/metrics` (other paths are 404).
 *
 * @throws {UsageError} when the port cannot be listened on (in use, not allowed).
 * @example
 * ```ts
 * import { Registry } from "prom-client";
 * import { serveMetrics } from "./metrics-server.ts";
 * const endpoint = await serveMetrics(new Registry(), 0);
 * console.log(endpoint.url.endsWith("/metrics")); // true
 * await endpoint.close();
 * ```
 */
export async function serveMetrics(
  registry: Registry,
  port: number,
  host = "0.0.0.0",
): Promise<MetricsEndpoint> {
  const server: Server = createServer((request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { "content-type": "text/plain" }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once(
      "error",
      (error: NodeJS.ErrnoException) =>
        reject(new UsageError(`--metrics-port ${port}: cannot listen (${error.code ?? error.message})`)),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
