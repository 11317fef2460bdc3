/**
 * Fake time for the callers' code: a clock and a {@link Scheduler} that move only when a test says
 * so, as Deno std's FakeTime does for timers. Tasks run at their own deadlines, in deadline order;
 * between two tasks the event loop turns once, so promise chains and socket I/O the tasks started
 * go on, and `settle` (when given) is awaited: a test over a real socket can wait there until what
 * a task sent has arrived, so that nothing it checks depends on how fast the loopback was. A test
 * never sleeps: it advances time, and awaits what it expects.
 *
 * @example
 * ```ts
 * import { FakeTime } from "./fake-time.ts";
 * const time = new FakeTime();
 * const lags: number[] = [];
 * time.at(time.nowMs + 20, (lagMs) => lags.push(lagMs));
 * time.jump(30); // a stall: 30 ms pass and nothing runs
 * await time.advance(0);
 * console.log(lags); // [10]
 * ```
 */
import type { MonotonicClock } from "../../src/common/clock.ts";
import type { Cancel, Scheduler } from "../../src/common/deadline-scheduler.ts";

interface FakeTask {
  readonly deadlineMs: number;
  readonly sequence: number;
  readonly callback: (lagMs: number) => void;
  cancelled: boolean;
}

/** One turn of the event loop: promise callbacks, then pending I/O callbacks. */
const turnEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class FakeTime implements Scheduler {
  nowMs: number;
  private readonly tasks: FakeTask[] = [];
  private sequence = 0;
  readonly clock: MonotonicClock = () => this.nowMs;

  /** Awaited after each task has run (see the class comment); settable once the test's sockets are up. */
  settle: () => Promise<void> = () => Promise.resolve();

  constructor(startMs = 1_000) {
    this.nowMs = startMs;
  }

  at(deadlineMs: number, callback: (lagMs: number) => void): Cancel {
    const task: FakeTask = { deadlineMs, sequence: this.sequence++, callback, cancelled: false };
    this.tasks.push(task);
    return () => {
      task.cancelled = true;
    };
  }

  /** Tasks scheduled and neither run nor cancelled. */
  get pending(): number {
    return this.tasks.filter((task) => !task.cancelled).length;
  }

  /** Time passes and nothing runs (a stall of the process): due tasks run late, at the next advance. */
  jump(ms: number): void {
    this.nowMs += ms;
  }

  /** Moves to `targetMs`, running every task due by then at its deadline (late ones at once), in order. */
  async advanceTo(targetMs: number): Promise<void> {
    for (;;) {
      const next = this.nextDue(targetMs);
      if (!next) break;
      this.tasks.splice(this.tasks.indexOf(next), 1);
      this.nowMs = Math.max(this.nowMs, next.deadlineMs);
      next.callback(this.nowMs - next.deadlineMs);
      await turnEventLoop();
      await this.settle();
    }
    this.nowMs = Math.max(this.nowMs, targetMs);
    await turnEventLoop();
  }

  /** Moves `ms` forward (see {@link advanceTo}). */
  advance(ms: number): Promise<void> {
    return this.advanceTo(this.nowMs + ms);
  }

  private nextDue(targetMs: number): FakeTask | undefined {
    let next: FakeTask | undefined;
    for (const task of this.tasks) {
      if (task.cancelled || task.deadlineMs > targetMs) continue;
      if (
        !next || task.deadlineMs < next.deadlineMs ||
        (task.deadlineMs === next.deadlineMs && task.sequence < next.sequence)
      ) {
        next = task;
      }
    }
    return next;
  }
}
