import type { Random } from "../common/random.ts";
import { UsageError } from "../common/errors.ts";

/**
 * A stage delay of the simulated pipeline: fixed, or log-normal given its median and p95 (real
 * STT/LLM/TTS latencies are right-skewed, and a median with a p95 is how providers publish them).
 */
export type Distribution =
  | { readonly kind: "fixed"; readonly ms: number }
  | { readonly kind: "lognormal"; readonly medianMs: number; readonly p95Ms: number };

/** z-score of the 95th percentile of a standard normal. */
const Z95 = 1.6448536269514722;

/**
 * Draws one delay in ms.
 *
 * @example
 * ```ts
 * import { drawMs } from "./latency-model.ts";
 * import { createRandom } from "../common/random.ts";
 * console.log(drawMs({ kind: "fixed", ms: 250 }, createRandom(1))); // 250
 * ```
 */
export function drawMs(distribution: Distribution, random: Random): number {
  if (distribution.kind === "fixed") return distribution.ms;
  if (distribution.medianMs === 0) return 0;
  const sigma = Math.log(distribution.p95Ms / distribution.medianMs) / Z95;
  return distribution.medianMs * Math.exp(sigma * random.normal());
}

/**
 * Parses "250" (fixed) or "MEDIAN,P95" such as "350,900" (log-normal).
 *
 * @example
 * ```ts
 * import { parseDistribution } from "./latency-model.ts";
 * console.log(parseDistribution("--llm-ttft-ms", "350,900")); // { kind: "lognormal", medianMs: 350, p95Ms: 900 }
 * ```
 */
export function parseDistribution(name: string, raw: string | number): Distribution {
  const text = String(raw).trim();
  const fixed = /^\d+(?:\.\d+)?$/.exec(text);
  if (fixed) return { kind: "fixed", ms: Number(text) };
  const pair = /^(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)$/.exec(text);
  if (pair) {
    const medianMs = Number(pair[1]);
    const p95Ms = Number(pair[2]);
    if (p95Ms < medianMs) {
      throw new UsageError(`${name}: the p95 (${p95Ms}) must not be below the median (${medianMs})`);
    }
    if (medianMs === 0 && p95Ms > 0) {
      throw new UsageError(`${name}: a log-normal delay needs a median above 0`);
    }
    return p95Ms === medianMs ? { kind: "fixed", ms: medianMs } : { kind: "lognormal", medianMs, p95Ms };
  }
  throw new UsageError(
    `${name} must be MS (fixed) or MEDIAN,P95 in ms (log-normal), e.g. 350,900 (got "${text}")`,
  );
}

/** Describes a distribution the way it is written on the command line. */
export function formatDistribution(distribution: Distribution): string {
  return distribution.kind === "fixed"
    ? `${distribution.ms}`
    : `${distribution.medianMs},${distribution.p95Ms}`;
}
