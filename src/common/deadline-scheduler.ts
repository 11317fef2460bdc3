import { type MonotonicClock, monotonicNowMs } from "./clock.ts";

/**
 * What runs callbacks at absolute deadlines: the callers' {@link DeadlineScheduler}, or a test's
 * fake time. `callback(lagMs)` gets how late it ran.
 */
export interface Scheduler {
  at(deadlineMs: number, callback: (lagMs: number) => void): Cancel;
}

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
export class DeadlineScheduler implements Scheduler {
  /** Tasks this close to due run now (clock reads themselves take a few microseconds). */
  static readonly EARLY_TOLERANCE_MS = 0.02;
  /** Within this of the next deadline, poll with setImmediate rather than trust a 1 ms timer. */
  private static readonly POLL_WINDOW_MS = 1;
  /** Polling keeps a core busy: by default at most 5 ms of polling per {@link POLL_BUDGET_WINDOW_MS}. */
  static readonly DEFAULT_POLL_BUDGET_MS = 5;
  private static readonly POLL_BUDGET_WINDOW_MS = 100;
  private readonly clock: MonotonicClock;
  private readonly pollBudgetMs: number;
  private readonly heap: Task[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private armedForMs = Infinity;
  private intendedWakeMs = 0;
  /** How late timers wake on this runtime and machine (moving average), so they are armed that much early. */
  private timerLatenessMs = 0;
  private pollStartedMs = 0;
  private pollWindowStartMs = 0;
  private pollSpentMs = 0;
  private sequence = 0;
  /** Tasks not yet run or cancelled: at zero no timer is kept, so a finished program can exit. */
  private live = 0;
  /** Told of every task that ran more than {@link LATE_MS} after its deadline. */
  private readonly lateListeners = new Set<(deadlineMs: number, lagMs: number) => void>();

  /** A task this late means the process could not run in time (timers alone are about 1 ms late). */
  static readonly LATE_MS = 2;

  /** `pollBudgetMs: 0` never polls: deadlines are then met to timer precision (about 1 ms), for no CPU. */
  constructor(options: { clock?: MonotonicClock; pollBudgetMs?: number } = {}) {
    this.clock = options.clock ?? monotonicNowMs;
    this.pollBudgetMs = options.pollBudgetMs ?? DeadlineScheduler.DEFAULT_POLL_BUDGET_MS;
  }

  /** Runs `callback(lagMs)` at `deadlineMs`; `lagMs` is how late it actually ran (>= -0.02 ms). */
  at(deadlineMs: number, callback: (lagMs: number) => void): Cancel {
    const task: Task = { deadlineMs, callback, sequence: this.sequence++, cancelled: false };
    this.push(task);
    this.live++;
    this.arm();
    return () => {
      if (task.cancelled || task.done) return;
      task.cancelled = true;
      // The task stays in the heap until its deadline; its callback (and all it holds) need not.
      task.callback = noop;
      this.live--;
      this.dropCancelledHead();
    };
  }

  /**
   * Calls `listener(deadlineMs, lagMs)` for every task that runs more than {@link LATE_MS} late:
   * each such task is a moment the process could not run (a stall), seen at a decision that
   * depended on it. Returns a function that stops listening.
   */
  onLate(listener: (deadlineMs: number, lagMs: number) => void): () => void {
    this.lateListeners.add(listener);
    return () => this.lateListeners.delete(listener);
  }

  /** Pops cancelled tasks off the head and re-arms for the next live one (or disarms when none). */
  private dropCancelledHead(): void {
    if (this.heap[0] && !this.heap[0].cancelled) return;
    while (this.heap[0]?.cancelled) this.pop();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedForMs = Infinity;
    if (this.live === 0) {
      this.heap.length = 0;
      if (this.immediate !== undefined) clearImmediate(this.immediate);
      this.immediate = undefined;
      return;
    }
    this.arm();
  }

  /** Number of tasks waiting (cancelled ones included until they are reached). */
  get size(): number {
    return this.heap.length;
  }

  private arm(): void {
    const next = this.heap[0];
    if (!next) return;
    if (this.immediate !== undefined) return; // already polling: it sees the new head
    if (this.timer !== undefined && this.armedForMs <= next.deadlineMs) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const nowMs = this.clock();
    const remainingMs = next.deadlineMs - nowMs;
    const canPoll = this.pollBudgetLeft(nowMs);
    if (remainingMs <= DeadlineScheduler.POLL_WINDOW_MS && canPoll) {
      // Timers have millisecond granularity; the last stretch is polled, never slept past.
      this.armedForMs = Infinity;
      this.pollStartedMs = nowMs;
      this.immediate = setImmediate(() => this.fire(false));
      return;
    }
    this.armedForMs = next.deadlineMs;
    // With polling, wake a little early and poll the rest; without (budget spent), wake at or just after.
    const lead = canPoll
      ? Math.min(2, Math.max(0, this.timerLatenessMs)) + DeadlineScheduler.POLL_WINDOW_MS / 2
      : 0;
    const delayMs = canPoll
      ? Math.max(0, Math.floor(remainingMs - lead))
      : Math.max(1, Math.ceil(remainingMs));
    this.intendedWakeMs = this.clock() + delayMs;
    this.timer = setTimeout(() => this.fire(true), delayMs);
  }

  private fire(fromTimer: boolean): void {
    if (fromTimer) {
      this.timer = undefined;
      const latenessMs = this.clock() - this.intendedWakeMs;
      this.timerLatenessMs = 0.9 * this.timerLatenessMs + 0.1 * latenessMs;
    } else {
      this.immediate = undefined;
      this.pollSpentMs += this.clock() - this.pollStartedMs;
    }
    this.armedForMs = Infinity;
    for (;;) {
      const next = this.heap[0];
      if (!next) break;
      const nowMs = this.clock();
      if (next.deadlineMs > nowMs + DeadlineScheduler.EARLY_TOLERANCE_MS) break;
      this.pop();
      if (!next.cancelled) {
        next.done = true;
        this.live--;
        const lagMs = nowMs - next.deadlineMs;
        if (lagMs > DeadlineScheduler.LATE_MS) {
          for (const listener of this.lateListeners) listener(next.deadlineMs, lagMs);
        }
        next.callback(lagMs);
      }
    }
    // Tasks cancelled while behind the head are still in the heap: never arm a timer for them, or
    // one cancelled far deadline keeps the process alive until it passes.
    while (this.heap[0]?.cancelled) this.pop();
    if (this.live === 0) {
      this.heap.length = 0;
      return;
    }
    this.arm();
  }

  private pollBudgetLeft(nowMs: number): boolean {
    if (nowMs - this.pollWindowStartMs >= DeadlineScheduler.POLL_BUDGET_WINDOW_MS) {
      this.pollWindowStartMs = nowMs;
      this.pollSpentMs = 0;
    }
    return this.pollSpentMs < this.pollBudgetMs;
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

const noop = (): void => {};

interface Task {
  readonly deadlineMs: number;
  callback: (lagMs: number) => void;
  readonly sequence: number;
  cancelled: boolean;
  done?: boolean;
}

function before(a: Task, b: Task): boolean {
  return a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.sequence < b.sequence);
}

/** The process-wide scheduler used when none is given (the reference bot's pacing uses it). */
export const sharedScheduler = new DeadlineScheduler();

/**
 * The callers' scheduler. It never polls: when a caller speaks next or gives up waiting needs
 * timer precision (about 1 ms) at most (no measurement depends on it), and a polling load
 * generator would take CPU from the bot it measures when both share a machine.
 */
export const callerScheduler = new DeadlineScheduler({ pollBudgetMs: 0 });
