import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_EF_SEARCH, decidePlan, HNSW_VISIT_COST, ITERATIVE_SCAN_BUDGET } from "../../src/query/plan.ts";

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
