import assert from "node:assert/strict";
import { test } from "node:test";
import { valuesInsert } from "../../src/db/citus-insert.ts";
import type { ColumnInfo } from "../../src/db/table-columns.ts";

const column = (arrayType: string): ColumnInfo => ({ arrayType, type: "", hasDefault: false, generated: false });

test("valuesInsert: one cast parameter per value, row by row, nulls bound as parameters", () => {
  const query = valuesInsert(
    '"Annotation"',
    ['"id"', '"page"', '"createdAt"'],
    [column("text[]"), column("integer[]"), column("timestamp(3) without time zone[]")],
    [
      ["a", "b"],
      ["1", null],
      ["2020-01-02T03:04:05.678", "2021-01-01T00:00:00.000"],
    ],
    " ON CONFLICT DO NOTHING",
  );
  assert.deepEqual(query, {
    sql:
      'INSERT INTO "Annotation" ("id", "page", "createdAt") VALUES ' +
      "($1::text, $2::integer, $3::timestamp(3) without time zone), " +
      "($4::text, $5::integer, $6::timestamp(3) without time zone) ON CONFLICT DO NOTHING",
    params: ["a", "1", "2020-01-02T03:04:05.678", "b", null, "2021-01-01T00:00:00.000"],
  });
});

test("valuesInsert: undefined past PostgreSQL's 65,535 parameters, or with no rows", () => {
  const rows = Array.from({ length: 32_768 }, () => "x");
  assert.equal(valuesInsert("T", ['"a"', '"b"'], [column("text[]"), column("text[]")], [rows, rows], ""), undefined);
  assert.ok(valuesInsert("T", ['"a"'], [column("text[]")], [rows], ""));
  assert.equal(valuesInsert("T", ['"a"'], [column("text[]")], [[]], ""), undefined);
});
