import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseWhere } from "../../src/query/parse-where.ts";
import type { SearchPlan } from "../../src/query/plan.ts";
import { buildSimilarityQuery } from "../../src/query/similarity-search.ts";
import { candidateLimit, indexesColumn, pickIndex } from "../../src/query/vector-index.ts";
import { projectSchema } from "../helpers/query.ts";

const schema = projectSchema();
const HALF = { type: "halfvec", dimensions: 384 } as const;
const plain = (key: string) => ({ opclass: "vector_cosine_ops", key, column: true });
const half = (key: string) => ({ opclass: "halfvec_cosine_ops", key, column: false });

describe("which HNSW index a table has (pg_get_indexdef's key text)", () => {
  test("indexesColumn: a usable index on the column or its halfvec cast; another column's does not count", () => {
    const index = (key: string, usable = true) => ({
      ...plain(key),
      name: "i",
      definition: "",
      usable,
      partial: false,
    });
    assert.equal(indexesColumn([index("embedding")], "embedding"), true);
    assert.equal(
      indexesColumn([{ ...index("((embedding)::halfvec(384))"), ...half("((embedding)::halfvec(384))") }], "embedding"),
      true,
    );
    assert.equal(indexesColumn([index('"titleVector"'), index("body_vector")], "titleVector"), true);
    assert.equal(indexesColumn([index("body_vector")], "titleVector"), false, "another column's index");
    assert.equal(indexesColumn([index("embedding", false)], "embedding"), false, "one being built");
    assert.equal(indexesColumn([], "embedding"), false);
  });

  test("a cosine index on the column wins, also over a halfvec index", () => {
    assert.deepEqual(pickIndex([plain("embedding")], "embedding"), { type: "vector" });
    assert.deepEqual(pickIndex([half("((embedding)::halfvec(384))"), plain("embedding")], "embedding"), {
      type: "vector",
    });
  });

  test("a halfvec cast of the column, quoted or not, with its dimensions", () => {
    assert.deepEqual(pickIndex([half("((embedding)::halfvec(384))")], "embedding"), HALF);
    assert.deepEqual(pickIndex([half('(("Emb Col")::halfvec(3))')], "Emb Col"), { type: "halfvec", dimensions: 3 });
  });

  test("other columns, other operator classes and no index fall back to the column's vector order", () => {
    assert.deepEqual(pickIndex([half("((other)::halfvec(384))")], "embedding"), { type: "vector" });
    assert.deepEqual(pickIndex([{ ...half("((embedding)::halfvec(384))"), opclass: "halfvec_l2_ops" }], "embedding"), {
      type: "vector",
    });
    assert.deepEqual(pickIndex([{ ...plain("embedding"), opclass: "vector_l2_ops" }], "embedding"), { type: "vector" });
    assert.deepEqual(pickIndex([], "embedding"), { type: "vector" });
  });
});

describe("halfvec candidates and SQL", () => {
  test("a plain scan re-ranks its ef_search candidates, an iterative one twice the rows asked", () => {
    assert.equal(candidateLimit(HALF, 10, 100, false), 100);
    assert.equal(candidateLimit(HALF, 10, 100, true), 20);
    assert.equal(candidateLimit(HALF, 300, 100, false), 300);
    assert.equal(candidateLimit({ type: "vector" }, 10, 100, false), 10);
  });

  test("the stream is ordered by the index expression and each block re-sorted by the exact distance", () => {
    const plan: SearchPlan = {
      kind: "hnsw",
      efSearch: 100,
      estimatedRows: null,
      reason: "",
      recall: { target: 0.95, expected: null, calibratedAt: null },
      index: HALF,
    };
    const filter = parseWhere(schema.Annotation, schema, {});
    const q = buildSimilarityQuery(schema, schema.Annotation, { vector: [1, 0, 0], filter, take: 5, skip: 2 }, plan);
    assert.match(
      q.sql,
      /ORDER BY \("t0"\."embedding"::halfvec\(384\)\) <=> \(\(SELECT CASE WHEN .* THEN \$1::vector END\)\)::halfvec\(384\) FETCH FIRST/,
    );
    assert.match(q.sql, /\("t0"\."embedding" <=> \$1::vector\) AS "distance"/);
    assert.match(q.sql, /ORDER BY "c"\."\$block", "c"\."distance", "c"\."id" LIMIT \$\d+ OFFSET \$\d+$/);
  });
});
