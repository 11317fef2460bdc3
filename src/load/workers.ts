import { Worker } from "node:worker_threads";
import type { TurnRecord } from "../metrics/turn-record.ts";
import { currentRuntime } from "../common/runtime.ts";
import { LagHistogram } from "../metrics/lag-histogram.ts";
import type { RunOptions } from "./options.ts";
import { callersOf, type CallersResult, expectedTurnsOf, type PreparedRun } from "./runner.ts";

/** Messages between the run and its workers. */
export type ToWorker = { readonly type: "start"; readonly startAtEpochMs: number } | {
  readonly type: "stop";
};
export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "turn"; readonly record: TurnRecord }
  | { readonly type: "call"; readonly delta: 1 | -1 }
  | { readonly type: "done"; readonly result: Omit<CallersResult, "turns"> }
  | { readonly type: "failed"; readonly message: string };

/** What a worker is started with. */
export interface WorkerInput {
  readonly options: RunOptions;
  readonly clientIds: readonly number[];
}

/** Time for every worker to be ready before the first caller starts (they load their own audio). */
const START_MARGIN_MS = 100;

/** The worker's module, started the way this runtime runs it (Node from source needs tsx inside the thread too). */
function startWorker(input: WorkerInput): Worker {
  const isSource = import.meta.url.endsWith(".ts");
  const entry = new URL(isSource ? "./worker.ts" : "./worker.js", import.meta.url);
  if (isSource && currentRuntime().name === "node") {
    const tsx = import.meta.resolve("tsx/esm/api");
    const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${
      JSON.stringify(entry.href)
    }); });`;
    return new Worker(boot, { eval: true, workerData: input });
  }
  return new Worker(entry, { workerData: input });
}

/**
 * Runs a prepared run's callers spread over `config.workers` worker threads (client k in worker
 * k mod n), each with its own event loop and health figures; every turn comes back as it finishes
 * (for progress), the health samples at the end, to be merged exactly. Stopping (the signal)
 * reaches every worker, and each sends what it has.
 */
export async function runInWorkers(
  prepared: PreparedRun,
  options: Pick<RunOptions, "signal" | "onTurn" | "onCallsChange">,
): Promise<{ readonly callers: number; readonly result: CallersResult }[]> {
  const { config } = prepared;
  const count = config.workers;
  const total = expectedTurnsOf(config, callersOf(config).length);
  let done = 0;
  let failed = 0;
  const callers = callersOf(config);
  const shares = Array.from(
    { length: count },
    (_, worker) => callers.filter((_, position) => position % count === worker),
  );
  const workers = shares.map((clientIds) => ({
    clientIds,
    worker: startWorker({ options: { ...prepared.options, workers: 1 }, clientIds }),
    turns: [] as TurnRecord[],
  }));
  const stop = (): void => {
    for (const { worker } of workers) worker.postMessage({ type: "stop" } satisfies ToWorker);
  };
  const results = workers.map(
    ({ worker, clientIds, turns }) =>
      new Promise<CallersResult>((resolve) => {
        const fail = (message: string): void =>
          resolve({
            turns,
            internalErrors: [`worker of callers ${clientIds[0]}...: ${message}`],
            health: {
              loopLagsMs: [],
              speechSendLagsMs: [],
              sendOverheadsMs: [],
              frameLags: new LagHistogram().data(),
            },
            // A worker that failed lost its windows with it; its turns still count.
            timeline: { windowMs: prepared.config.windowS * 1000, windows: [] },
            startedAtEpochMs: Date.now(),
            endedAtEpochMs: Date.now(),
            interrupted: options.signal?.aborted ?? false,
          });
        worker.on("message", (message: FromWorker) => {
          if (message.type === "turn") {
            turns.push(message.record);
            done++;
            if (message.record.outcome !== "ok") failed++;
            options.onTurn?.(message.record, { done, total, failed });
          } else if (message.type === "call") {
            options.onCallsChange?.(message.delta);
          } else if (message.type === "done") {
            resolve({ ...message.result, turns });
            void worker.terminate();
          } else if (message.type === "failed") {
            fail(message.message);
            void worker.terminate();
          }
        });
        worker.on("error", (error) => fail(error instanceof Error ? error.message : String(error)));
        worker.on("exit", (code) => fail(`the worker exited (${code}) before it finished`));
      }),
  );
  // Everyone starts together once every worker has loaded its audio and is ready.
  await Promise.all(
    workers.map(({ worker }) =>
      new Promise<void>((resolve) => {
        const onMessage = (message: FromWorker): void => {
          if (message.type !== "ready") return;
          worker.off("message", onMessage);
          resolve();
        };
        worker.on("message", onMessage);
        worker.once("exit", () => resolve());
      })
    ),
  );
  const startAtEpochMs = Date.now() + START_MARGIN_MS;
  for (const { worker } of workers) worker.postMessage({ type: "start", startAtEpochMs } satisfies ToWorker);
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    const finished = await Promise.all(results);
    return finished.map((result, index) => ({ callers: shares[index]!.length, result }));
  } finally {
    options.signal?.removeEventListener("abort", stop);
  }
}
