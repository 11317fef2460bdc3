/**
 * Seeded pseudo-random numbers, so that a run's scenario mix, file choice, think times and the
 * reference server's latencies and faults can be reproduced exactly from `--seed`.
 *
 * mulberry32: tiny, fast, and good enough for load shaping (not for cryptography).
 *
 * @example
 * ```ts
 * import { createRandom } from "./random.ts";
 * const random = createRandom(42);
 * const first = random.next(); // same value on every run with seed 42
 * console.log(first >= 0 && first < 1); // true
 * ```
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A float in [min, max). */
  between(min: number, max: number): number;
  /** An integer in [0, count). */
  index(count: number): number;
  /** A standard normal deviate (Box-Muller). */
  normal(): number;
  /** An independent generator derived from this one (for one client, one connection...). */
  fork(): Random;
}

/** Creates a seeded generator; the same seed always yields the same sequence. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random: Random = {
    next,
    between: (min, max) => min + (max - min) * next(),
    index: (count) => Math.min(count - 1, Math.floor(next() * count)),
    normal: () => {
      // 1 - next() keeps the logarithm's argument in (0, 1].
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      return radius * Math.cos(2 * Math.PI * next());
    },
    fork: () => createRandom(Math.floor(next() * 4294967296)),
  };
  return random;
}

/** A seed for runs that did not ask for one; recorded in the results so the run can be replayed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2147483647);
}

/**
 * A generator derived from a seed and a path of integers (client 3, turn 7...), independent of the
 * order in which they are asked for: what keeps a run reproducible when callers run concurrently.
 *
 * @example
 * ```ts
 * import { deriveRandom } from "./random.ts";
 * console.log(deriveRandom(42, 3, 7).next() === deriveRandom(42, 3, 7).next()); // true
 * ```
 */
export function deriveRandom(seed: number, ...path: number[]): Random {
  let hash = seed >>> 0;
  for (const value of path) {
    hash = Math.imul(hash ^ ((value + 0x9e3779b9) >>> 0), 0x85ebca6b) >>> 0;
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
    hash ^= hash >>> 16;
  }
  return createRandom(hash);
}
