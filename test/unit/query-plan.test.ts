import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_EF_SEARCH } from "../../src/db/hnsw-defaults.ts";
import { decidePlan, HNSW_VISIT_COST, ITERATIVE_SCAN_BUDGET } from "../../src/query/plan.ts";

const auto = { choice: "auto", limit: 10 } as const;

describe("plan choice by estimated cost", () => {
  test("a small table is scanned exactly, filtered or not", () => {
    assert.equal(decidePlan(auto, false, { total: 1000, kept: 1000 }).kind, "exact");
    assert.equal(decidePlan(auto, true, { total: 1000, kept: 100 }).kind, "exact");
    assert.equal(decidePlan(auto, false, { total: 0, kept: 0 }).kind, "exact");
  });

  test("unfiltered above the break-even: plain HNSW at the unfiltered default ef_search", () => {
    const breakEven = DEFAULT_EF_SEARCH.unfiltered * HNSW_VISIT_COST;
    assert.equal(decidePlan(auto, false, { total: breakEven, kept: breakEven }).kind, "exact");
    const plan = decidePlan(auto, false, { total: breakEven + 1, kept: breakEven + 1 });
    assert.deepEqual([plan.kind, plan.efSearch], ["hnsw", DEFAULT_EF_SEARCH.unfiltered]);
    assert.match(plan.reason, /no filter/);
  });

  test("100k rows: 10% filter -> iterative HNSW, 1% and 0.1% -> exact", () => {
    const at = (kept: number) => decidePlan(auto, true, { total: 100_000, kept });
    assert.deepEqual([at(10_000).kind, at(10_000).efSearch], ["hnsw-iterative", DEFAULT_EF_SEARCH.filtered]);
    assert.equal(at(1_000).kind, "exact");
    assert.equal(at(100).kind, "exact");
    assert.equal(at(1_000).estimatedRows, 1_000);
  });

  test("on a distributed table each shard walks its own graph: the HNSW cost counts every walk", () => {
    const at = (graphs: number) => decidePlan(auto, true, { total: 100_000, kept: 10_000, graphs });
    assert.equal(at(1).kind, "hnsw-iterative");
    assert.equal(at(2).kind, "hnsw-iterative", "2 x 100 visits x 32 = 6,400 rows < 10,000");
    assert.equal(at(4).kind, "exact", "4 x 100 visits x 32 = 12,800 rows > 10,000");
    assert.match(at(4).reason, /walking 4 shards' graphs/);
    const breakEven = DEFAULT_EF_SEARCH.unfiltered * HNSW_VISIT_COST * 32;
    const unfiltered = (total: number) => decidePlan(auto, false, { total, kept: total, graphs: 32 }).kind;
    assert.deepEqual([unfiltered(breakEven), unfiltered(breakEven + 1)], ["exact", "hnsw"]);
  });

  test("a filter that keeps nearly every row runs as plain HNSW", () => {
    assert.equal(decidePlan(auto, true, { total: 100_000, kept: 99_500 }).kind, "hnsw");
    assert.equal(decidePlan(auto, true, { total: 100_000, kept: 90_000 }).kind, "hnsw-iterative");
  });

  test("a selective filter on a huge table still scans exactly", () => {
    const total = 100_000_000;
    const kept = Math.floor(total * (10 / (ITERATIVE_SCAN_BUDGET * 2)));
    const plan = decidePlan(auto, true, { total, kept });
    assert.equal(plan.kind, "exact");
  });

  test("more rows asked than ef_search: the index must scan iteratively", () => {
    const plan = decidePlan({ choice: "auto", limit: 50, efSearch: 20 }, false, { total: 1e6, kept: 1e6 });
    assert.deepEqual([plan.kind, plan.efSearch], ["hnsw-iterative", 20]);
  });

  test("forced plans skip the estimate", () => {
    assert.equal(decidePlan({ choice: "exact", limit: 10 }, true).kind, "exact");
    assert.equal(decidePlan({ choice: "hnsw", limit: 10 }, false).kind, "hnsw");
    assert.equal(decidePlan({ choice: "hnsw", limit: 10 }, true).kind, "hnsw-iterative");
    assert.equal(decidePlan({ choice: "hnsw", limit: 10, efSearch: 300 }, true).efSearch, 300);
  });
});

describe("plan choice with a recall calibration", () => {
  const at = new Date("2026-12-02T00:00:00Z");
  const calibration = {
    unfiltered: [
      { efSearch: 40, recall: 0.9 },
      { efSearch: 64, recall: 0.97 },
      { efSearch: 100, recall: 0.99 },
    ],
    filtered: [
      { efSearch: 40, recall: 0.95 },
      { efSearch: 400, recall: 0.99 },
      { efSearch: 1000, recall: 0.994 },
    ],
    filterShare: 0.05,
    queries: 16,
    rows: 100_000,
    at,
  };
  const big = { total: 100_000, kept: 100_000 };

  test("the smallest ef_search whose measured recall clears the target with half the misses in reserve", () => {
    const plan = decidePlan({ choice: "auto", limit: 10 }, false, big, { calibration });
    // 0.95 needs 0.975: 64 measured 0.97, so 100.
    assert.deepEqual([plan.kind, plan.efSearch], ["hnsw", 100]);
    assert.deepEqual(plan.recall, { target: 0.95, expected: 0.99, calibratedAt: at });
    assert.match(plan.reason, /ef_search 100 from calibration/);
    const loose = decidePlan({ choice: "auto", limit: 10, recallTarget: 0.9 }, false, big, { calibration });
    assert.equal(loose.efSearch, 64);
  });

  test("no measured ef_search reaches a filtered target: auto scans exactly, a forced index reports what it reaches", () => {
    const auto = decidePlan({ choice: "auto", limit: 10 }, true, { total: 100_000, kept: 20_000 }, { calibration });
    assert.equal(auto.kind, "exact");
    assert.deepEqual(auto.recall, { target: 0.99, expected: 1, calibratedAt: at });
    assert.match(auto.reason, /reaches 0.994 at ef_search 1000 .* below 0.995/);
    const forced = decidePlan({ choice: "hnsw", limit: 10 }, true, undefined, { calibration });
    assert.deepEqual([forced.kind, forced.efSearch, forced.recall.expected], ["hnsw-iterative", 1000, 0.994]);
  });

  test("a target the sample cannot resolve (0.99 from 160 neighbours) takes one ladder rung more", () => {
    const perfect = { ...calibration, filtered: [{ efSearch: 64, recall: 1 }] };
    const plan = decidePlan({ choice: "hnsw", limit: 10 }, true, undefined, { calibration: perfect });
    assert.deepEqual([plan.efSearch, plan.recall.expected], [100, 1]);
    const fine = decidePlan({ choice: "hnsw", limit: 10, recallTarget: 0.95 }, true, undefined, {
      calibration: perfect,
    });
    assert.equal(fine.efSearch, 64);
  });

  test("a caller's efSearch wins and nothing is claimed; no calibration keeps the defaults", () => {
    const mine = decidePlan({ choice: "auto", limit: 10, efSearch: 40 }, false, big, { calibration });
    assert.deepEqual([mine.efSearch, mine.recall.expected, mine.recall.calibratedAt], [40, null, null]);
    const none = decidePlan({ choice: "auto", limit: 10 }, false, big);
    assert.deepEqual([none.efSearch, none.recall.expected], [DEFAULT_EF_SEARCH.unfiltered, null]);
  });

  test("a failed calibration keeps the defaults and the plan says why", () => {
    const failure = "Transaction API error: Transaction already closed";
    const plan = decidePlan({ choice: "hnsw", limit: 10 }, false, undefined, { failure });
    assert.deepEqual([plan.efSearch, plan.recall.calibratedAt], [DEFAULT_EF_SEARCH.unfiltered, null]);
    assert.ok(plan.reason.endsWith(`; default ef_search: recall calibration failed (${failure})`), plan.reason);
  });

  test("a higher calibrated ef_search raises the exact-scan threshold", () => {
    const slow = { ...calibration, unfiltered: [{ efSearch: 400, recall: 1 }] };
    assert.equal(decidePlan(auto, false, { total: 12_000, kept: 12_000 }, { calibration: slow }).kind, "exact");
    assert.equal(decidePlan(auto, false, { total: 12_000, kept: 12_000 }).kind, "hnsw");
  });
});
