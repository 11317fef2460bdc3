import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "../../src/common/errors.ts";
import { summarizeRun } from "../../src/metrics/summary.ts";
import { anyFailed, evaluateVerdicts, TARGETS } from "../../src/metrics/targets.ts";
import { emptyTurnRecord, type TurnRecord } from "../../src/metrics/turn-record.ts";
import { evaluateRule, parseThreshold } from "../../src/metrics/verdicts.ts";

const SCENARIOS = ["simple_query", "tool_call", "interruption", "false_alarm"];

function turns(
  specs: {
    scenario?: string;
    ok?: boolean;
    ttft?: number;
    total?: number;
    connect?: number;
    stop?: number;
  }[],
): TurnRecord[] {
  return specs.map((spec, index) => ({
    ...emptyTurnRecord({
      run_id: "r",
      client_id: 0,
      turn_index: index,
      scenario: spec.scenario ?? "simple_query",
      started_at: "2026-01-01T00:00:00.000Z",
    }),
    outcome: spec.ok === false ? "timeout_first_audio" : "ok",
    ttft_ms: spec.ttft ?? null,
    total_ms: spec.total ?? null,
    connect_ms: spec.connect ?? null,
    stop_ms: spec.stop ?? null,
  }));
}

describe("threshold expressions", () => {
  test("parse metric statistics, rates, scenarios, units and aliases", () => {
    assert.deepEqual(parseThreshold("ttft.p95<2500", SCENARIOS), {
      expression: "ttft.p95<2500",
      value: "ttft_ms",
      stat: "p95",
      comparison: "<",
      limit: 2500,
    });
    assert.deepEqual(parseThreshold("success_rate > 0.99", SCENARIOS), {
      expression: "success_rate > 0.99",
      value: "success_rate",
      comparison: ">",
      limit: 0.99,
    });
    assert.deepEqual(parseThreshold("interruption.stop.p95<500", SCENARIOS), {
      expression: "interruption.stop.p95<500",
      scenario: "interruption",
      value: "stop_ms",
      stat: "p95",
      comparison: "<",
      limit: 500,
    });
    assert.equal(parseThreshold("tool_call.ttft.p99<8s", SCENARIOS).limit, 8000);
    assert.equal(parseThreshold("connect.max<=100ms", SCENARIOS).comparison, "<=");
    assert.equal(parseThreshold("total.avg<5000", SCENARIOS).stat, "mean");
    assert.equal(parseThreshold("ttft.p50<1000", SCENARIOS).stat, "median");
    assert.equal(parseThreshold("error_rate<1%", SCENARIOS).limit, 0.01);
    assert.equal(parseThreshold("false_alarm.success_rate>=0.9", SCENARIOS).scenario, "false_alarm");
  });
  test("bad expressions say what is wrong", () => {
    const cases: [string, RegExp][] = [
      ["ttft.p95", /must look like/],
      ["ttft.p95<abc", /must look like/],
      ["ttft<2500", /say which statistic/],
      ["tft.p95<2500", /unknown metric "tft" \(did you mean "ttft"\?\)/],
      ["ttft.p96<2500", /unknown statistic "p96" \(did you mean "p95"\?\)/],
      ["interuption.stop.p95<500", /unknown scenario "interuption" \(did you mean "interruption"\?\)/],
      ["success_rate.mean>0.9", /takes no statistic/],
      ["success_rate>5s", /not a duration/],
      ["ttft.p95<50%", /rates only/],
      ["a.b.c.d<1", /too many parts|unknown/],
    ];
    for (const [expression, pattern] of cases) {
      assert.throws(
        () => parseThreshold(expression, SCENARIOS),
        (error: unknown) => error instanceof UsageError && pattern.test(error.message),
        expression,
      );
    }
  });
  test("evaluation: pass, fail, no samples, missing scenario", () => {
    const summary = summarizeRun(turns([{ ttft: 100 }, { ttft: 300 }, { ok: false }]));
    assert.equal(
      evaluateRule(parseThreshold("ttft.mean<250", SCENARIOS), summary, "threshold", "x").status,
      "pass",
    );
    assert.equal(
      evaluateRule(parseThreshold("ttft.max<250", SCENARIOS), summary, "threshold", "x").status,
      "fail",
    );
    const rate = evaluateRule(parseThreshold("success_rate>0.9", SCENARIOS), summary, "threshold", "x");
    assert.equal(rate.status, "fail");
    assert.ok(Math.abs(rate.measured! - 2 / 3) < 1e-9);
    const none = evaluateRule(parseThreshold("stop.p95<500", SCENARIOS), summary, "threshold", "x");
    assert.equal(none.status, "fail");
    assert.match(none.note!, /no stop_ms samples/);
    assert.match(
      evaluateRule(parseThreshold("interruption.stop.p95<500", SCENARIOS), summary, "threshold", "x").note!,
      /no interruption turns/,
    );
    assert.equal(
      evaluateRule(parseThreshold("failed<=1", SCENARIOS), summary, "threshold", "x").status,
      "pass",
    );
  });
});

describe("the guide's targets and alarms", () => {
  test("low-load: pass, warn near the limit, fail beyond it", () => {
    const good = turns(Array.from({ length: 20 }, () => ({ ttft: 800, total: 3000, connect: 20 })));
    const verdicts = evaluateVerdicts(summarizeRun(good), "low-load", []);
    assert.deepEqual(verdicts.map((verdict) => verdict.status), [
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
    ]);
    assert.equal(
      verdicts.filter((verdict) => verdict.source === "target").length,
      TARGETS["low-load"].length,
    );
    const near = evaluateVerdicts(
      summarizeRun(turns(Array.from({ length: 20 }, () => ({ ttft: 1400, total: 3000, connect: 20 })))),
      "low-load",
      [],
    );
    assert.equal(near[0]!.status, "warn", "TTFT mean 1400 is within 10% of 1500");
    const slow = evaluateVerdicts(
      summarizeRun(turns(Array.from({ length: 20 }, () => ({ ttft: 2000, total: 3000, connect: 150 })))),
      "low-load",
      [],
    );
    assert.equal(slow[0]!.status, "fail");
    assert.equal(slow[3]!.status, "fail", "connection p95 150 ms > 100 ms");
    assert.ok(anyFailed(slow));
  });
  test("under-load uses the looser limits", () => {
    const verdicts = evaluateVerdicts(
      summarizeRun(turns(Array.from({ length: 20 }, () => ({ ttft: 2300, total: 6000 })))),
      "under-load",
      [],
    );
    assert.deepEqual(verdicts.slice(0, 4).map((verdict) => verdict.status), ["warn", "pass", "pass", "pass"]);
  });
  test("the alarms are always evaluated: TTFT mean > 3 s, P99 > 5 s, success rate < 90%", () => {
    const verdicts = evaluateVerdicts(
      summarizeRun(turns([...Array.from({ length: 9 }, () => ({ ttft: 3200 })), { ok: false }])),
      undefined,
      [],
    );
    assert.deepEqual(verdicts.map((verdict) => [verdict.source, verdict.status]), [["alarm", "fail"], [
      "alarm",
      "pass",
    ], ["alarm", "pass"]]);
    const failing = evaluateVerdicts(summarizeRun(turns([{ ttft: 100 }, { ok: false }])), undefined, []);
    assert.equal(failing[2]!.status, "fail");
  });
});
