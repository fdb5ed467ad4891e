import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_EF_SEARCH } from "../../src/db/hnsw-defaults.ts";
import { buildHybridQuery, candidatesFor, DEFAULT_CANDIDATES } from "../../src/query/hybrid-search.ts";
import { parseWhere } from "../../src/query/parse-where.ts";
import type { SearchPlan } from "../../src/query/plan.ts";
import { defaultEfSearch } from "../../src/query/plan.ts";
import { buildSimilarityQuery } from "../../src/query/similarity-search.ts";
import { buildTextQuery } from "../../src/query/text-search.ts";
import { vectorToBinary } from "../../src/sql/vector-binary.ts";
import { projectSchema } from "../helpers/query.ts";

const schema = projectSchema();
const filter = parseWhere(schema.Annotation, schema, { label: "x" });
const vector = [1, 0, 0];
const NO_RECALL = { target: 0.95, expected: null, calibratedAt: null };
const exact: SearchPlan = { kind: "exact", efSearch: null, estimatedRows: 3, reason: "", recall: NO_RECALL };
const iterative: SearchPlan = {
  kind: "hnsw-iterative",
  efSearch: 40,
  estimatedRows: 20_000,
  reason: "",
  recall: NO_RECALL,
};
/** The query vector $1 as the index's order-by argument, carrying settings $3 and $4. */
const SETTINGS_34 =
  "(SELECT CASE WHEN (set_config('hnsw.ef_search', $3, true) || set_config('hnsw.iterative_scan', $4, true)) IS NOT NULL THEN $1::vector END)";
const COLUMNS =
  `"t0"."id" AS "id", "t0"."documentId" AS "documentId", "t0"."rawText" AS "rawText", "t0"."label" AS "label", ` +
  `"t0"."page" AS "page", "t0"."position" AS "position", "t0"."metadata" AS "metadata", ` +
  `"t0"."embeddingModel" AS "embeddingModel", "t0"."contentHash" AS "contentHash", ` +
  `"t0"."createdAt" AS "createdAt", "t0"."updatedAt" AS "updatedAt"`;

describe("similarity search SQL", () => {
  test("exact plan: one flat statement ordered by the distance plus zero (no index order), then id", () => {
    assert.deepEqual(buildSimilarityQuery(schema, schema.Annotation, { vector, filter, take: 5, skip: 2 }, exact), {
      sql:
        `SELECT ${COLUMNS}, ("t0"."embedding" <=> $1::vector) + 0 AS "distance" FROM "Annotation" AS "t0" ` +
        `WHERE "t0"."embedding" IS NOT NULL AND "t0"."label" = $2 ` +
        `ORDER BY "distance", "t0"."id" LIMIT $3 OFFSET $4`,
      params: [vectorToBinary([1, 0, 0]), "x", 5, 2],
    });
  });

  test("HNSW plans cut the index's stream into blocks of 10 rows, each sorted by distance then id", () => {
    const q = buildSimilarityQuery(schema, schema.Annotation, { vector, filter, take: 5, skip: 7 }, iterative);
    const fields = COLUMNS.split(", ").map((c) => `"c".${c.split(" AS ")[1]}`);
    assert.equal(
      q.sql,
      `SELECT ${fields.join(", ")}, "c"."distance" FROM (SELECT "s".*, (max("s"."$start") OVER (ROWS UNBOUNDED PRECEDING) - 1) / $6 AS "$block" ` +
        `FROM (SELECT "n".*, row_number() OVER () AS "$position", ` +
        `CASE WHEN "n"."distance" = lag("n"."distance") OVER () THEN 0 ELSE row_number() OVER () END AS "$start" ` +
        `FROM (SELECT ${COLUMNS}, ("t0"."embedding" <=> $1::vector) AS "distance" FROM "Annotation" AS "t0" ` +
        `WHERE "t0"."embedding" IS NOT NULL AND "t0"."label" = $2 ORDER BY "t0"."embedding" <=> ${SETTINGS_34} ` +
        `FETCH FIRST ($5) ROWS WITH TIES) AS "n") AS "s") AS "c" ORDER BY "c"."$block", "c"."distance", "c"."id" LIMIT $7 OFFSET $8`,
    );
    assert.deepEqual(
      q.params,
      [vectorToBinary([1, 0, 0]), "x", "40", "relaxed_order", 20, 10, 5, 7],
      "the index delivers the blocks up to skip + take",
    );
    // The tutorial this replaces sorted by -distance: never descending here.
    assert.doesNotMatch(q.sql, /DESC|-\s*\(?"?distance/);
  });

  test("no filter: no extra predicate; the vector, embedding and payload columns are never selected", () => {
    const q = buildSimilarityQuery(
      schema,
      schema.Document,
      { vector, filter: parseWhere(schema.Document, schema, {}), take: 3 },
      exact,
    );
    assert.match(q.sql, /WHERE "t0"."embedding" IS NOT NULL ORDER BY/);
    assert.doesNotMatch(q.sql, /"t0"\."embedding" AS|embeddingPayload|searchVector/);
  });

  test("pgvector settings are bound values inside the statement: none for exact, an iterative scan for every HNSW plan", () => {
    assert.doesNotMatch(
      buildSimilarityQuery(schema, schema.Annotation, { vector, filter, take: 5 }, exact).sql,
      /set_config/,
    );
    const plain = buildSimilarityQuery(
      schema,
      schema.Annotation,
      { vector, filter, take: 5 },
      {
        ...iterative,
        kind: "hnsw",
        efSearch: 100,
      },
    );
    assert.deepEqual(plain.params.slice(2, 4), ["100", "relaxed_order"]);
  });

  test("default ef_search: the recall default (higher under a filter), twice the rows asked, at most 1000", () => {
    assert.equal(defaultEfSearch(5, false), DEFAULT_EF_SEARCH.unfiltered);
    assert.equal(defaultEfSearch(5, true), DEFAULT_EF_SEARCH.filtered);
    assert.equal(defaultEfSearch(120, false), 240);
    assert.equal(defaultEfSearch(900, true), 1000);
  });
});

describe("text search SQL", () => {
  test("websearch_to_tsquery over searchVector, best ts_rank_cd first, ties by id", () => {
    const q = buildTextQuery(schema, schema.Annotation, { query: "cats -dogs", filter, take: 5, skip: 1 });
    assert.deepEqual(q, {
      sql:
        `SELECT ${COLUMNS}, ts_rank_cd("t0"."searchVector", "q"."query") AS "rank" ` +
        `FROM "Annotation" AS "t0", websearch_to_tsquery('english', $1::text) AS "q"("query") ` +
        `WHERE "t0"."searchVector" @@ "q"."query" AND "t0"."label" = $2 ORDER BY "rank" DESC, "t0"."id" LIMIT $3 OFFSET $4`,
      params: ["cats -dogs", "x", 5, 1],
    });
  });
});

describe("hybrid search SQL", () => {
  test("one statement: two candidate lists under the same filter, full outer join, RRF", () => {
    const q = buildHybridQuery(schema, schema.Annotation, { text: "cats", vector, filter, take: 5 }, exact);
    assert.deepEqual(q.params, [vectorToBinary([1, 0, 0]), "cats", "x", 60, 60, 5, 0]);
    assert.equal(q.sql.split(`"t0"."label" = $3`).length, 3, "the compiled filter appears in both lists");
    assert.match(q.sql, /^WITH "q" AS \(SELECT websearch_to_tsquery\('english', \$2::text\) AS "query"\), "v" AS /);
    assert.match(q.sql, /FROM "v" FULL OUTER JOIN "x" ON "x"."id" = "v"."id"/);
    assert.match(
      q.sql,
      /\(coalesce\(1\.0 \/ \(\$5::float8 \+ "f"."vectorRank"\), 0\) \+ coalesce\(1\.0 \/ \(\$5::float8 \+ "f"."textRank"\), 0\)\) AS "score"/,
    );
    assert.match(
      q.sql,
      /"p" AS \(SELECT "f"\.\*, \(coalesce.{0,120}\) AS "score" FROM "f" ORDER BY "score" DESC, "f"."id" LIMIT \$6 OFFSET \$7\) SELECT /,
      "RRF cuts the page from the fused ranks first",
    );
    assert.match(
      q.sql,
      /coalesce\("p"."distance", "t0"."embedding" <=> \$1::vector\) AS "distance".* FROM "p" JOIN "Annotation" AS "t0" ON "t0"."id" = "p"."id" CROSS JOIN "q" ORDER BY "score" DESC, "t0"."id"$/,
      "then computes what a list lacks for the page's rows only",
    );
    assert.match(
      q.sql,
      /<=> \$1::vector\) \+ 0 AS "distance" FROM "Annotation" AS "t0" WHERE .{0,80} ORDER BY "distance", "t0"."id" LIMIT \$4\) AS "c"/,
      "exact plan: one flat vector list, off the index",
    );
  });

  test("weighted fusion; HNSW vector list", () => {
    const q = buildHybridQuery(
      schema,
      schema.Annotation,
      { text: "cats", vector, filter, take: 5, fusion: { type: "weighted", alpha: 0.3 } },
      iterative,
    );
    assert.deepEqual(q.params, [vectorToBinary([1, 0, 0]), "cats", "x", 60, "40", "relaxed_order", 0.3, 5, 0]);
    assert.match(
      q.sql,
      /\(\$7::float8 \* coalesce\(1 - coalesce\("f"."distance", "t0"."embedding" <=> \$1::vector\), 0\) \+ \(1 - \$7::float8\) \* coalesce\(/,
    );
    assert.match(q.sql, /nullif\(\(SELECT max\("score"\) FROM "x"\), 0\)/);
    assert.ok(
      q.sql.includes(
        `ORDER BY "t0"."embedding" <=> ${SETTINGS_34.replace("$3", "$5").replace("$4", "$6")} LIMIT $4) AS "c"`,
      ),
    );
  });

  test("candidates: the caller's, else 60, whatever the page (skip and take do not change the fused list)", () => {
    assert.equal(candidatesFor({}), DEFAULT_CANDIDATES);
    assert.equal(DEFAULT_CANDIDATES, 60);
    assert.equal(candidatesFor({ candidates: 5 }), 5);
    assert.equal(candidatesFor({ candidates: 1000 }), 1000);
  });
});
