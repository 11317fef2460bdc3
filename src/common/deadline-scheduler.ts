import { monotonicNowMs, type MonotonicClock } from "./clock.ts";

/**
 * Runs callbacks at absolute deadlines on the monotonic clock, with one timer for all of them.
 * Hundreds of callers pacing audio at once share one scheduler, so the event loop holds one
 * timer, not hundreds, and every task is due at its own absolute time (no drift from chained
 * sleeps: a late task does not push back the next one).
 *
 * @example
 * ```ts
 * import { DeadlineScheduler } from "./deadline-scheduler.ts";
 * const scheduler = new DeadlineScheduler();
 * const startMs = performance.now();
 * scheduler.at(startMs + 20, (lagMs) => console.log(lagMs < 20)); // true
 * ```
 */
export class DeadlineScheduler {
  /** Tasks up to this early run now: re-arming a timer for less than a millisecond costs a millisecond. */
  static readonly EARLY_TOLERANCE_MS = 0.5;
  private readonly heap: Task[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedForMs = Infinity;
  private sequence = 0;

  constructor(private readonly clock: MonotonicClock = monotonicNowMs) {}

  /** Runs `callback(lagMs)` at `deadlineMs`; `lagMs` is how late it actually ran (may be slightly negative). */
  at(deadlineMs: number, callback: (lagMs: number) => void): Cancel {
    const task: Task = { deadlineMs, callback, sequence: this.sequence++, cancelled: false };
    this.push(task);
    this.arm();
    return () => {
      task.cancelled = true;
    };
  }

  /** Number of tasks waiting (cancelled ones included until they are reached). */
  get size(): number {
    return this.heap.length;
  }

  private arm(): void {
    const next = this.heap[0];
    if (!next) return;
    if (this.timer !== undefined && this.armedForMs <= next.deadlineMs) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedForMs = next.deadlineMs;
    const delayMs = Math.max(0, Math.floor(next.deadlineMs - this.clock()));
    this.timer = setTimeout(() => this.fire(), delayMs);
  }

  private fire(): void {
    this.timer = undefined;
    this.armedForMs = Infinity;
    for (;;) {
      const next = this.heap[0];
      if (!next) break;
      const nowMs = this.clock();
      if (next.deadlineMs > nowMs + DeadlineScheduler.EARLY_TOLERANCE_MS) break;
      this.pop();
      if (!next.cancelled) next.callback(nowMs - next.deadlineMs);
    }
    this.arm();
  }

  private push(task: Task): void {
    const heap = this.heap;
    heap.push(task);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(heap[index]!, heap[parent]!)) break;
      [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
      index = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (heap.length === 0 || !last) return;
    heap[0] = last;
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === index) break;
      [heap[index], heap[smallest]] = [heap[smallest]!, heap[index]!];
      index = smallest;
    }
  }
}

/** Cancels a scheduled task. */
export type Cancel = () => void;

interface Task {
  readonly deadlineMs: number;
  readonly callback: (lagMs: number) => void;
  readonly sequence: number;
  cancelled: boolean;
}

function before(a: Task, b: Task): boolean {
  return a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.sequence < b.sequence);
}

/** The process-wide scheduler used when none is given. */
export const sharedScheduler = new DeadlineScheduler();
