/**
 * One worker thread of a run (--workers): prepares the run from the options it was given (loading
 * its own copy of the audio), says it is ready, drives its share of the callers from the start time
 * the run gives, sends each turn as it finishes and its raw health samples at the end.
 */
import { parentPort, workerData } from "node:worker_threads";
import { prepareRun, runCallers } from "./runner.ts";
import type { FromWorker, ToWorker, WorkerInput } from "./workers.ts";

const port = parentPort!;
const input = workerData as WorkerInput;
const stop = new AbortController();
const post = (message: FromWorker): void => port.postMessage(message);

try {
  const prepared = await prepareRun(input.options);
  const started = new Promise<number>((resolve) => {
    port.on("message", (message: ToWorker) => {
      if (message.type === "start") resolve(message.startAtEpochMs);
      else stop.abort();
    });
  });
  post({ type: "ready" });
  const startAtEpochMs = await started;
  const { turns: _turns, ...result } = await runCallers(prepared, {
    clientIds: input.clientIds,
    startAtEpochMs,
    signal: stop.signal,
    onTurn: (record) => post({ type: "turn", record }),
    onCallsChange: (delta) => post({ type: "call", delta }),
  });
  post({ type: "done", result });
} catch (error) {
  post({ type: "failed", message: error instanceof Error ? error.message : String(error) });
}
