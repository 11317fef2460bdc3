/**
 * The simulated LLM slots: at most `limit` replies in progress at once; turns beyond it wait in
 * FIFO order, so latency grows under load the way a real deployment's does.
 *
 * @example
 * ```ts
 * import { Capacity } from "./capacity.ts";
 * const slots = new Capacity(1);
 * const first = slots.acquire();
 * const second = slots.acquire();
 * console.log(slots.waiting); // 1
 * (await first.granted)();    // releasing the first slot grants the second
 * await second.granted;
 * ```
 */
export class Capacity {
  private inUse = 0;
  private readonly queue: Waiter[] = [];

  /** `limit` of Infinity (or 0) means unbounded. */
  constructor(private readonly limit: number) {}

  /** Slots in use now. */
  get active(): number {
    return this.inUse;
  }

  /** Turns waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Takes a slot now if one is free (and nobody is waiting); undefined otherwise. */
  tryAcquire(): Release | undefined {
    const unbounded = this.limit <= 0 || this.limit === Infinity;
    if (!unbounded && (this.inUse >= this.limit || this.queue.length > 0)) return undefined;
    this.inUse++;
    return this.releaser();
  }

  /** Requests a slot; `granted` resolves with the release function. `cancel` withdraws a waiting request. */
  acquire(): { granted: Promise<Release>; cancel: () => void } {
    let waiter: Waiter | undefined;
    const granted = new Promise<Release>((resolve) => {
      if (this.limit <= 0 || this.limit === Infinity || this.inUse < this.limit) {
        this.inUse++;
        resolve(this.releaser());
        return;
      }
      waiter = { resolve };
      this.queue.push(waiter);
    });
    return {
      granted,
      cancel: () => {
        if (!waiter) return;
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
      },
    };
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next.resolve(this.releaser());
      else this.inUse--;
    };
  }
}

/** Gives a slot back (idempotent). */
export type Release = () => void;

interface Waiter {
  resolve: (release: Release) => void;
}
