import assert from "node:assert/strict";
import { test } from "node:test";
import { ReturnedRows } from "../../src/write/returned-rows.ts";

test("a returned row is trusted once a read-back equalled one, field by non-null field", () => {
  const rows = new ReturnedRows();
  const at = new Date(0);
  assert.equal(rows.trusts({ id: "a", title: null, at }), false, "nothing compared yet");
  rows.compare({ id: "a", title: null, at }, { id: "a", title: null, at: new Date(0) });
  assert.equal(rows.trusts({ id: "b", title: null, at }), true);
  assert.equal(rows.trusts({ id: "b", title: "first value", at }), false, "title was only ever null");
  rows.compare({ id: "b", title: "t", at }, { id: "b", title: "t", at });
  assert.equal(rows.trusts({ id: "c", title: "t2", at }), true);
});

test("one difference (a missing key, another type, another prototype) and nothing is trusted again", () => {
  const cases: [unknown, unknown][] = [
    [{ id: "a" }, { id: "a", omittedByPrisma: 1 }],
    [
      { id: "a", n: 1 },
      { id: "a", n: 1n },
    ],
    [
      { id: "a", at: "1970-01-01" },
      { id: "a", at: new Date(0) },
    ],
  ];
  for (const [row, readBack] of cases) {
    const rows = new ReturnedRows();
    rows.compare({ id: "x" }, { id: "x" });
    assert.equal(rows.trusts({ id: "y" }), true);
    rows.compare(row, readBack);
    assert.equal(rows.differ, true);
    assert.equal(rows.trusts({ id: "y" }), false);
  }
});
