/**
 * The capacity search on made-up bots: where it steps, where it bisects, when it stops, and that it
 * never measures above --max-load.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { searchCapacity, type SearchPlan, type StepVerdict } from "../../src/capacity/search.ts";

const WHOLE: SearchPlan = { startLoad: 10, stepLoad: 10, maxLoad: 200, resolution: 1, wholeLoads: true };

/** A bot that meets the thresholds up to `limit`; the loads measured, in order. */
function botWithLimit(limit: number, extra: Partial<StepVerdict> = {}) {
  const loads: number[] = [];
  return {
    loads,
    measure: (load: number): Promise<StepVerdict> => {
      loads.push(load);
      return Promise.resolve({ load, passed: load <= limit, valid: true, interrupted: false, ...extra });
    },
  };
}

describe("capacity search", () => {
  test("steps up, then bisects to the highest passing whole load and the next one", async () => {
    for (const limit of [10, 11, 23, 29, 57, 199]) {
      const bot = botWithLimit(limit);
      const outcome = await searchCapacity(WHOLE, bot.measure);
      assert.equal(outcome.end, "found", `limit ${limit}`);
      assert.equal(outcome.capacity?.load, limit);
      assert.equal(outcome.firstFailing?.load, limit + 1);
      // Up by steps to the first failure, then about log2(step) bisections.
      const upward = Math.ceil((limit + 1) / 10);
      assert.ok(bot.loads.length <= upward + 4, `${bot.loads.join(",")}`);
      assert.deepEqual(bot.loads.slice(0, upward), Array.from({ length: upward }, (_, i) => 10 * (i + 1)));
    }
  });

  test("a coarser resolution stops bisecting earlier, the answer within it", async () => {
    const bot = botWithLimit(23);
    const outcome = await searchCapacity({ ...WHOLE, resolution: 5 }, bot.measure);
    assert.equal(outcome.end, "found");
    assert.ok(outcome.firstFailing!.load - outcome.capacity!.load <= 5);
    assert.ok(outcome.capacity!.load <= 23 && outcome.firstFailing!.load > 23);
  });

  test("arrival rates are not rounded to whole numbers", async () => {
    const bot = botWithLimit(2.7);
    const outcome = await searchCapacity(
      { startLoad: 1, stepLoad: 1, maxLoad: 10, resolution: 0.25, wholeLoads: false },
      bot.measure,
    );
    assert.equal(outcome.end, "found");
    assert.ok(outcome.capacity!.load <= 2.7 && outcome.capacity!.load > 2.45, `${outcome.capacity!.load}`);
    assert.ok(outcome.firstFailing!.load > 2.7);
    assert.ok(bot.loads.some((load) => !Number.isInteger(load)));
  });

  test("the first step failing ends the search with no capacity", async () => {
    const bot = botWithLimit(5);
    const outcome = await searchCapacity(WHOLE, bot.measure);
    assert.equal(outcome.end, "first_step_failed");
    assert.equal(outcome.capacity, null);
    assert.equal(outcome.firstFailing?.load, 10);
    assert.deepEqual(bot.loads, [10]);
  });

  test("never above --max-load: the last step is clamped to it, and passing it ends the search", async () => {
    const bot = botWithLimit(1000);
    const outcome = await searchCapacity({ ...WHOLE, maxLoad: 45 }, bot.measure);
    assert.equal(outcome.end, "max_load");
    assert.deepEqual(bot.loads, [10, 20, 30, 40, 45]);
    assert.equal(outcome.capacity?.load, 45);
    assert.equal(outcome.firstFailing, null);
  });

  test("a step where voxbench lagged ends the search: it is not the bot's failure", async () => {
    const loads: number[] = [];
    const outcome = await searchCapacity(WHOLE, (load) => {
      loads.push(load);
      return Promise.resolve({ load, passed: false, valid: load < 30, interrupted: false });
    });
    // 10 failed validly, so that is the bot's; had 10 passed, 30's lag would have ended it.
    assert.equal(outcome.end, "first_step_failed");
    const lagged = await searchCapacity(
      WHOLE,
      (load) => Promise.resolve({ load, passed: true, valid: load < 30, interrupted: false }),
    );
    assert.equal(lagged.end, "generator_lagged");
    assert.equal(lagged.capacity?.load, 20);
    assert.equal(lagged.firstFailing, null, "the lagged step is not a failing load");
    assert.deepEqual(loads, [10]);
  });

  test("an interrupted step, or one that cannot start, stops the search unjudged", async () => {
    const interrupted = await searchCapacity(
      WHOLE,
      (load) => Promise.resolve({ load, passed: load < 20, valid: true, interrupted: load === 20 }),
    );
    assert.equal(interrupted.end, "stopped");
    assert.equal(interrupted.capacity?.load, 10);
    assert.equal(interrupted.firstFailing, null);
    let calls = 0;
    const refused = await searchCapacity(WHOLE, (load) => {
      calls++;
      return Promise.resolve(load > 20 ? null : { load, passed: true, valid: true, interrupted: false });
    });
    assert.equal(refused.end, "stopped");
    assert.equal(refused.steps.length, 2);
    assert.equal(calls, 3);
  });
});
