import assert from "node:assert/strict";
import { test } from "node:test";
import { insertSql } from "../../src/sql/insert.ts";
import { catalogType, MAX_PARAMS, SqlParams } from "../../src/sql/sql-params.ts";

const text = catalogType("text");
const int = catalogType("integer");
const stamp = catalogType("timestamp(3) without time zone");

test("values rows: one cast parameter per value, row by row, nulls bound as parameters", () => {
  const params = new SqlParams();
  const sql = insertSql(params, {
    table: { table: "Annotation" },
    columns: [
      { name: "id", type: text },
      { name: "page", type: int },
      { name: "createdAt", type: stamp },
    ],
    values: [
      ["a", "b"],
      ["1", null],
      ["2020-01-02T03:04:05.678", "2021-01-01T00:00:00.000"],
    ],
    rows: "values",
    onConflict: { action: "nothing" },
  });
  assert.equal(
    sql,
    'INSERT INTO "Annotation" ("id", "page", "createdAt") VALUES ' +
      "($1::text, $2::integer, $3::timestamp(3) without time zone), " +
      "($4::text, $5::integer, $6::timestamp(3) without time zone) ON CONFLICT DO NOTHING",
  );
  assert.deepEqual(params.values, ["a", "1", "2020-01-02T03:04:05.678", "b", null, "2021-01-01T00:00:00.000"]);
});

test("unnest rows: one array per column; values rows past the parameter limit, or with none, go as unnest", () => {
  const column = [{ name: "a", type: text }];
  const unnest = (values: unknown[][], params = new SqlParams()) =>
    insertSql(params, { table: { table: "T" }, columns: column, values, rows: "unnest" });
  assert.equal(unnest([["x", "y"]]), 'INSERT INTO "T" ("a") SELECT * FROM unnest($1::text[])');

  const many = Array.from({ length: MAX_PARAMS }, () => "x");
  const params = new SqlParams();
  params.param("taken"); // one parameter already used: the rows no longer fit
  const sql = insertSql(params, { table: { table: "T" }, columns: column, values: [many], rows: "values" });
  assert.equal(sql, 'INSERT INTO "T" ("a") SELECT * FROM unnest($2::text[])');
  assert.deepEqual(params.values, ["taken", many]);

  const fits = new SqlParams();
  insertSql(fits, { table: { table: "T" }, columns: column, values: [many], rows: "values" });
  assert.equal(fits.values.length, MAX_PARAMS);

  const none = new SqlParams();
  const empty = insertSql(none, { table: { table: "T" }, columns: column, values: [[]], rows: "values" });
  assert.equal(empty, 'INSERT INTO "T" ("a") SELECT * FROM unnest($1::text[])');
});

test("values rows without a type leave it to the column; unnest needs one", () => {
  const params = new SqlParams();
  const sql = insertSql(params, {
    table: { table: "T", schema: "s" },
    columns: [{ name: "a" }, { name: "m", type: "jsonb" }],
    values: [["x"], ["{}"]],
    rows: "values",
  });
  assert.equal(sql, 'INSERT INTO "s"."T" ("a", "m") VALUES ($1, $2::jsonb)');
  assert.throws(() =>
    insertSql(new SqlParams(), { table: { table: "T" }, columns: [{ name: "a" }], values: [["x"]], rows: "unnest" }),
  );
});

test("conflict handling and RETURNING", () => {
  const base = {
    table: { table: "T" },
    columns: [
      { name: "id", type: text },
      { name: "v", type: text },
    ],
    values: [["1"], ["x"]],
    rows: "values" as const,
  };
  const update = insertSql(new SqlParams(), {
    ...base,
    onConflict: {
      action: "update",
      target: ["id"],
      set: [
        { column: "v", from: "v" },
        { column: "payload", from: "embedding", cast: "text" },
      ],
    },
    returning: ["id"],
  });
  assert.equal(
    update,
    'INSERT INTO "T" ("id", "v") VALUES ($1::text, $2::text) ON CONFLICT ("id") DO UPDATE SET ' +
      '"v" = EXCLUDED."v", "payload" = EXCLUDED."embedding"::text RETURNING "id"',
  );
  const nothing = insertSql(new SqlParams(), { ...base, onConflict: { action: "nothing", target: ["id"] } });
  assert.match(nothing, / ON CONFLICT \("id"\) DO NOTHING$/);
});

test("hostile names are quoted, hostile values only bound", () => {
  const names = [`a"b`, "$1", "x; DROP TABLE t; --", "c'd"];
  const values = [`'); DROP TABLE t; --`, "$1", "back\\slash", `"quoted"`];
  for (const rows of ["values", "unnest"] as const) {
    const params = new SqlParams();
    const sql = insertSql(params, {
      table: { table: `T"; --`, schema: "$2" },
      columns: names.map((name) => ({ name, type: text })),
      values: values.map((v) => [v]),
      rows,
      onConflict: { action: "update", target: [names[0]!], set: [{ column: names[2]!, from: names[3]! }] },
      returning: [names[1]!],
    });
    // "$1" is a placeholder too: the parameters below show where it went.
    for (const v of values.filter((x) => x !== "$1")) assert.ok(!sql.includes(v), `${v} in ${sql}`);
    assert.ok(sql.startsWith('INSERT INTO "$2"."T""; --" ("a""b", "$1", "x; DROP TABLE t; --", "c\'d") '), sql);
    assert.deepEqual(params.values.flat(), values);
  }
});
