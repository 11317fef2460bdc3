import { sleepUntil } from "../audio/pacer.ts";
import { monotonicNowMs } from "../common/clock.ts";
import type { DeadlineScheduler } from "../common/deadline-scheduler.ts";
import type { Random } from "../common/random.ts";
import type { Capacity, Release } from "./capacity.ts";
import { type Distribution, drawMs } from "./latency-model.ts";

/** The simulated pipeline's settings. */
export interface PipelineSettings {
  readonly replyDelayMs: number | undefined;
  readonly sttMs: Distribution;
  readonly llmTtftMs: Distribution;
  readonly ttsTtfbMs: Distribution;
  readonly toolMs: Distribution;
}

/** What one turn's pipeline drew and waited for (the turn log's stage timings). */
export interface StageTimings {
  stt?: number;
  queue?: number;
  llm?: number;
  tool?: number;
  tts?: number;
}

/** One turn as the pipeline sees it. */
export interface PipelineTurn {
  readonly kind: "query" | "tool";
  /** When the utterance's end reached the bot (or its VAD decided it ended). */
  readonly receivedAtMs: number;
  readonly random: Random;
  /** Aborted when the turn ends early (barge-in, close): the pipeline stops waiting. */
  readonly signal: AbortSignal;
  readonly timings: StageTimings;
  /** The LLM slot the turn holds, released when its reply is out. */
  release: Release | undefined;
  /** From the utterance's end to the first chunk, as configured or drawn. */
  configuredDelayMs: number | undefined;
}

/** Where the pipeline reports a tool call's start and end (the protocol's tool events, if any). */
export interface PipelineHooks {
  /** The tool is called; a promise when the client runs it (the tool's time is then the wait for its output). */
  toolCall(): Promise<void> | undefined;
  toolResult(toolMs: number): void;
}

/**
 * The simulated STT -> (queue for an LLM slot) -> LLM -> (tool) -> TTS pipeline of one turn: each
 * stage is drawn from the latency model and waited out on absolute deadlines chained from the
 * utterance's end, so only a real wait for a slot moves them. Resolves with the first chunk's
 * deadline, or undefined when the turn was aborted first.
 *
 * @example
 * ```ts
 * import { runPipeline } from "./pipeline.ts";
 * // const firstChunkAtMs = await runPipeline(turn, settings, capacity, scheduler, { toolCall() {}, toolResult() {} });
 * ```
 */
export async function runPipeline(
  turn: PipelineTurn,
  settings: PipelineSettings,
  capacity: Capacity,
  scheduler: DeadlineScheduler,
  hooks: PipelineHooks,
): Promise<number | undefined> {
  const signal = turn.signal;
  const waitUntil = (deadlineMs: number): Promise<number> => sleepUntil(deadlineMs, scheduler, signal);
  if (settings.replyDelayMs !== undefined) {
    turn.configuredDelayMs = settings.replyDelayMs;
    let startMs = turn.receivedAtMs;
    // A tool the client runs is part of the protocol, not of the pipeline: the reply follows its output.
    const clientTool = turn.kind === "tool" ? hooks.toolCall() : undefined;
    if (clientTool) {
      if (!(await untilAborted(clientTool, signal))) return undefined;
      startMs = monotonicNowMs();
      turn.timings.tool = startMs - turn.receivedAtMs;
      hooks.toolResult(turn.timings.tool);
    }
    const firstChunkDeadlineMs = startMs + settings.replyDelayMs;
    await waitUntil(firstChunkDeadlineMs);
    if (signal.aborted) return undefined;
    // A tool the bot runs itself takes the whole fixed delay: its result goes out with the reply.
    if (turn.kind === "tool" && !clientTool) {
      turn.timings.tool = settings.replyDelayMs;
      hooks.toolResult(settings.replyDelayMs);
    }
    return firstChunkDeadlineMs;
  }
  const sttMs = drawMs(settings.sttMs, turn.random);
  turn.timings.stt = sttMs;
  const sttEndMs = turn.receivedAtMs + sttMs;
  await waitUntil(sttEndMs);
  if (signal.aborted) return undefined;
  let grantedAtMs = sttEndMs;
  let release = capacity.tryAcquire();
  if (!release) {
    release = await acquireSlot(capacity, signal);
    if (!release) return undefined;
    grantedAtMs = monotonicNowMs();
  }
  turn.release = release;
  turn.timings.queue = grantedAtMs - sttEndMs;
  const llmMs = drawMs(settings.llmTtftMs, turn.random);
  turn.timings.llm = llmMs;
  let deadlineMs = grantedAtMs + llmMs;
  if (turn.kind === "tool") {
    await waitUntil(deadlineMs);
    if (signal.aborted) return undefined;
    const clientTool = hooks.toolCall();
    let toolMs: number;
    if (clientTool) {
      const calledAtMs = monotonicNowMs();
      if (!(await untilAborted(clientTool, signal))) return undefined;
      deadlineMs = monotonicNowMs();
      toolMs = deadlineMs - calledAtMs;
    } else {
      toolMs = drawMs(settings.toolMs, turn.random);
      deadlineMs += toolMs;
      await waitUntil(deadlineMs);
      if (signal.aborted) return undefined;
    }
    turn.timings.tool = toolMs;
    hooks.toolResult(toolMs);
  }
  const ttsMs = drawMs(settings.ttsTtfbMs, turn.random);
  turn.timings.tts = ttsMs;
  const firstChunkDeadlineMs = deadlineMs + ttsMs;
  turn.configuredDelayMs = firstChunkDeadlineMs - turn.receivedAtMs;
  await waitUntil(firstChunkDeadlineMs);
  return signal.aborted ? undefined : firstChunkDeadlineMs;
}

/** Whether `promise` settled before `signal` aborted. */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(!signal.aborted);
    });
  });
}

/** Waits for an LLM slot; undefined when the turn is aborted first. */
function acquireSlot(capacity: Capacity, signal: AbortSignal): Promise<Release | undefined> {
  const request = capacity.acquire();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      request.cancel();
      resolve(undefined);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    void request.granted.then((release) => {
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) {
        release();
        resolve(undefined);
      } else {
        resolve(release);
      }
    });
  });
}
