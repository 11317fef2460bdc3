import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createRandom } from "../../src/common/random.ts";
import { UsageError } from "../../src/common/errors.ts";
import { percentile } from "../../src/metrics/percentiles.ts";
import { Capacity } from "../../src/server/capacity.ts";
import { drawMs, formatDistribution, parseDistribution } from "../../src/server/latency-model.ts";

describe("latency model", () => {
  test("log-normal draws have the configured median and p95 (20,000 draws, within 3%)", () => {
    const random = createRandom(11);
    const draws = Array.from(
      { length: 20000 },
      () => drawMs({ kind: "lognormal", medianMs: 350, p95Ms: 900 }, random),
    );
    assert.ok(Math.abs(percentile(draws, 50) / 350 - 1) < 0.03, `median ${percentile(draws, 50)}`);
    assert.ok(Math.abs(percentile(draws, 95) / 900 - 1) < 0.03, `p95 ${percentile(draws, 95)}`);
    assert.ok(draws.every((value) => value > 0));
  });
  test("fixed draws are exact", () => {
    assert.equal(drawMs({ kind: "fixed", ms: 123.5 }, createRandom(1)), 123.5);
  });
  test("parsing", () => {
    assert.deepEqual(parseDistribution("--x", "250"), { kind: "fixed", ms: 250 });
    assert.deepEqual(parseDistribution("--x", "350, 900"), { kind: "lognormal", medianMs: 350, p95Ms: 900 });
    assert.deepEqual(parseDistribution("--x", "300,300"), { kind: "fixed", ms: 300 });
    assert.equal(formatDistribution(parseDistribution("--x", "350,900")), "350,900");
    for (const bad of ["", "fast", "900,350", "-5", "1,2,3", "0,10"]) {
      assert.throws(() => parseDistribution("--llm-ttft-ms", bad), UsageError, bad);
    }
  });
});

describe("capacity (LLM slots)", () => {
  test("grants up to the limit, then queues in FIFO order", async () => {
    const slots = new Capacity(2);
    const order: string[] = [];
    const a = slots.tryAcquire();
    const b = slots.tryAcquire();
    assert.ok(a && b);
    assert.equal(slots.tryAcquire(), undefined);
    const c = slots.acquire();
    const d = slots.acquire();
    void c.granted.then(() => order.push("c"));
    void d.granted.then(() => order.push("d"));
    assert.equal(slots.waiting, 2);
    a();
    a(); // releasing twice gives back one slot only
    await c.granted;
    assert.equal(slots.active, 2);
    b();
    await d.granted;
    assert.deepEqual(order, ["c", "d"]);
  });
  test("a withdrawn request does not take a slot", async () => {
    const slots = new Capacity(1);
    const first = slots.tryAcquire()!;
    const withdrawn = slots.acquire();
    const next = slots.acquire();
    withdrawn.cancel();
    first();
    await next.granted;
    assert.equal(slots.active, 1);
    assert.equal(slots.waiting, 0);
  });
  test("unbounded never queues", () => {
    const slots = new Capacity(Infinity);
    for (let i = 0; i < 1000; i++) assert.ok(slots.tryAcquire());
  });
});
