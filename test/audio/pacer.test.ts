import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DeadlineScheduler } from "../../src/common/deadline-scheduler.ts";
import { frameDeadlineMs, paceFrames, sleepUntil } from "../../src/audio/pacer.ts";

const EARLY = DeadlineScheduler.EARLY_TOLERANCE_MS;

function busyWait(durationMs: number): void {
  const until = performance.now() + durationMs;
  while (performance.now() < until) {
    // blocks the event loop on purpose
  }
}

describe("pacer deadline arithmetic", () => {
  test("frame k is due at start + k * frameMs", () => {
    assert.equal(frameDeadlineMs(1000, 0, 20), 1000);
    assert.equal(frameDeadlineMs(1000, 1, 20), 1020);
    assert.equal(frameDeadlineMs(1000, 50, 20), 2000);
    assert.equal(frameDeadlineMs(12.5, 3, 40), 132.5);
  });
});

describe("paceFrames", () => {
  test("sends every frame in order, never before its deadline, and records each lag", async () => {
    const sentAt: number[] = [];
    const order: number[] = [];
    const startAtMs = performance.now() + 5;
    const report = await paceFrames([0, 1, 2, 3, 4, 5], (frame, index) => {
      sentAt.push(performance.now());
      order.push(frame);
      assert.equal(frame, index);
    }, { frameMs: 20, startAtMs });
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
    assert.equal(report.sentCount, 6);
    assert.equal(report.aborted, false);
    assert.equal(report.sendLagsMs.length, 6);
    sentAt.forEach((time, index) => {
      const deadline = frameDeadlineMs(startAtMs, index, 20);
      assert.ok(time >= deadline - EARLY, `frame ${index} left ${deadline - time} ms early`);
      // The recorded lag is the send time minus the deadline, as measured by the pacer's clock.
      assert.ok(Math.abs(report.sendLagsMs[index]! - (time - deadline)) < 1);
    });
  });

  test("a late frame does not push back the next ones (absolute deadlines, no drift)", async () => {
    const sentAt: number[] = [];
    const startAtMs = performance.now() + 5;
    await paceFrames([0, 1, 2, 3, 4], (frame) => {
      sentAt.push(performance.now());
      if (frame === 1) busyWait(45); // frame 1's send blocks for 2+ frame periods
    }, { frameMs: 20, startAtMs });
    // Frames 2 and 3 were due during the block: they go out at once, back to back.
    assert.ok(sentAt[3]! - sentAt[2]! < 5, `frames 2-3 spaced ${sentAt[3]! - sentAt[2]!} ms`);
    // Frame 4 is due at start + 80 ms: it waits for its own deadline, not for 20 ms after frame 3.
    const frame4Deadline = frameDeadlineMs(startAtMs, 4, 20);
    assert.ok(sentAt[4]! >= frame4Deadline - EARLY);
    assert.ok(sentAt[4]! - sentAt[3]! < 20, "frame 4 was scheduled relative to frame 3 (drift)");
  });

  test("fast mode sends everything at once with zero lag", async () => {
    const sent: string[] = [];
    const report = await paceFrames(["a", "b", "c"], (frame) => sent.push(frame), {
      frameMs: 1000,
      fast: true,
    });
    assert.deepEqual(sent, ["a", "b", "c"]);
    assert.deepEqual(report.sendLagsMs, [0, 0, 0]);
    assert.ok(report.endMs - report.startMs < 1000);
  });

  test("an abort stops sending further frames", async () => {
    const controller = new AbortController();
    const sent: number[] = [];
    const report = await paceFrames([0, 1, 2, 3, 4, 5], (frame) => {
      sent.push(frame);
      if (frame === 1) controller.abort();
    }, { frameMs: 10, signal: controller.signal });
    assert.equal(report.aborted, true);
    assert.deepEqual(sent, [0, 1]);
  });

  test("a send that throws rejects the pacing", async () => {
    await assert.rejects(
      paceFrames([0, 1], () => {
        throw new Error("socket closed");
      }, { frameMs: 10 }),
      /socket closed/,
    );
  });

  test("many pacers share one scheduler and all meet their deadlines in order", async () => {
    const scheduler = new DeadlineScheduler();
    const startAtMs = performance.now() + 10;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, caller) => {
        const sentAt: number[] = [];
        return paceFrames([0, 1, 2, 3], () => sentAt.push(performance.now()), {
          frameMs: 20,
          startAtMs: startAtMs + caller * 0.3,
          scheduler,
        }).then(() => ({ caller, sentAt }));
      }),
    );
    for (const { caller, sentAt } of results) {
      sentAt.forEach((time, index) =>
        assert.ok(time >= frameDeadlineMs(startAtMs + caller * 0.3, index, 20) - EARLY)
      );
    }
    assert.equal(scheduler.size, 0);
  });
});

describe("a scheduler that never polls (the callers')", () => {
  test("still never runs a task early, and runs every task", async () => {
    const scheduler = new DeadlineScheduler({ pollBudgetMs: 0 });
    const startMs = performance.now();
    const ran: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, index) => {
        const deadlineMs = startMs + 5 + index * 1.3;
        return sleepUntil(deadlineMs, scheduler).then(() => {
          ran.push(index);
          assert.ok(performance.now() >= deadlineMs - EARLY, `task ${index} ran early`);
        });
      }),
    );
    assert.equal(ran.length, 20);
  });
});

describe("a scheduler whose tasks are cancelled behind the head", () => {
  test("holds nothing once the last live task has run: no timer left for a cancelled far deadline", async () => {
    const scheduler = new DeadlineScheduler({ pollBudgetMs: 0 });
    const nowMs = performance.now();
    const ran = new Promise<void>((resolve) => scheduler.at(nowMs + 5, () => resolve()));
    scheduler.at(nowMs + 20, () => {})();
    scheduler.at(nowMs + 60_000, () => {})();
    assert.equal(scheduler.size, 3, "cancelled tasks behind the head wait in the heap");
    await ran;
    assert.equal(scheduler.size, 0, "with no live task left, nothing may stay armed");
  });
});

describe("sleepUntil", () => {
  test("wakes at the absolute deadline and reports its lag", async () => {
    const deadline = performance.now() + 15;
    const lagMs = await sleepUntil(deadline);
    const now = performance.now();
    assert.ok(now >= deadline - EARLY);
    assert.ok(lagMs >= -EARLY && lagMs <= now - deadline + 0.01);
  });
  test("an abort wakes it early", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 5);
    const lagMs = await sleepUntil(performance.now() + 10_000, undefined, controller.signal);
    assert.ok(lagMs < -5000);
  });
});
