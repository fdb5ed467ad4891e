import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DimensionMismatchError, InvalidArgumentError } from "../../src/errors.ts";
import { validateQueryText, validateQueryVector } from "../../src/query/query-vector.ts";
import { MAX_TAKE, parseHybridArgs, parseSimilarityArgs, parseTextArgs } from "../../src/query/search-args.ts";

const ctx = { embedder: { modelId: "test", dimensions: 384, embed: async () => [] } };

function rejects(fn: () => unknown, path: string, message: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, String(err));
    assert.equal(err.code, "INVALID_ARGUMENT");
    const issue = err.issues.find((i) => i.path.join(".") === path);
    assert.ok(issue, `no issue at "${path}": ${JSON.stringify(err.issues)}`);
    assert.match(issue.message, message);
    return true;
  });
}

describe("search arguments", () => {
  test("defaults", () => {
    assert.deepEqual(parseSimilarityArgs({ query: "x" }), { query: "x", take: 10, skip: 0, plan: "auto" });
    assert.deepEqual(parseHybridArgs({ query: "x" }).fusion, { type: "rrf", k: 60 });
    assert.deepEqual(parseHybridArgs({ query: "x", fusion: { type: "weighted" } }).fusion, {
      type: "weighted",
      alpha: 0.5,
    });
  });

  test("take: an integer from 1 to the cap, which the message names", () => {
    rejects(() => parseSimilarityArgs({ query: "x", take: 0 }), "take", /expected an integer >= 1/);
    rejects(() => parseSimilarityArgs({ query: "x", take: -3 }), "take", /expected an integer >= 1/);
    rejects(() => parseSimilarityArgs({ query: "x", take: 2.5 }), "take", /received a fraction/);
    rejects(() => parseSimilarityArgs({ query: "x", take: "5" }), "take", /received string/);
    rejects(() => parseSimilarityArgs({ query: "x", take: Number.NaN }), "take", /received NaN/);
    rejects(
      () => parseTextArgs({ query: "x", take: MAX_TAKE + 1 }),
      "take",
      /at most 1000 \(the search cap; page with skip\)/,
    );
    assert.equal(parseSimilarityArgs({ query: "x", take: MAX_TAKE }).take, 1000);
  });

  test("skip, minSimilarity, efSearch, plan, exact", () => {
    rejects(() => parseSimilarityArgs({ query: "x", skip: -1 }), "skip", /expected an integer >= 0/);
    rejects(() => parseSimilarityArgs({ query: "x", skip: 0.5 }), "skip", /fraction/);
    rejects(
      () => parseSimilarityArgs({ query: "x", minSimilarity: 1.5 }),
      "minSimilarity",
      /expected a number from -1 to 1/,
    );
    rejects(() => parseSimilarityArgs({ query: "x", minSimilarity: -1.01 }), "minSimilarity", /.+/);
    rejects(() => parseSimilarityArgs({ query: "x", efSearch: 0 }), "efSearch", /1 to 1000/);
    rejects(() => parseSimilarityArgs({ query: "x", efSearch: 1001 }), "efSearch", /at most 1000/);
    rejects(() => parseSimilarityArgs({ query: "x", plan: "fast" }), "plan", /"auto", "exact" or "hnsw"/);
    rejects(() => parseSimilarityArgs({ query: "x", exact: "yes" }), "exact", /expected boolean/);
    assert.equal(parseSimilarityArgs({ query: "x", minSimilarity: -1 }).minSimilarity, -1);
  });

  test("unknown top-level arguments are rejected by name", () => {
    rejects(() => parseSimilarityArgs({ query: "x", limit: 5 }), "", /unknown argument\(s\) "limit"/);
    rejects(() => parseTextArgs({ query: "x", minSimilarity: 0.5 }), "", /unknown argument\(s\) "minSimilarity"/);
    rejects(() => parseHybridArgs({ query: "x", orderBy: {} }), "", /"orderBy"/);
    rejects(() => parseSimilarityArgs("x"), "", /.+/);
  });

  test("query: string or vector; hybrid and text need a string", () => {
    rejects(() => parseSimilarityArgs({}), "query", /.+/);
    rejects(() => parseSimilarityArgs({ query: 5 }), "query", /expected a string or an array of numbers/);
    rejects(() => parseTextArgs({ query: [1, 2] }), "query", /expected string, received array/);
    rejects(() => parseHybridArgs({ query: "x", vector: "y" }), "vector", /.+/);
  });

  test("fusion", () => {
    rejects(
      () => parseHybridArgs({ query: "x", fusion: { type: "max" } }),
      "fusion.type",
      /expected \{ type: "rrf", k\? \}/,
    );
    rejects(() => parseHybridArgs({ query: "x", fusion: { type: "rrf", k: 0 } }), "fusion.k", /> 0/);
    rejects(
      () => parseHybridArgs({ query: "x", fusion: { type: "weighted", alpha: 2 } }),
      "fusion.alpha",
      /from 0 to 1/,
    );
    rejects(() => parseHybridArgs({ query: "x", fusion: { type: "rrf", alpha: 0.5 } }), "fusion", /unknown argument/);
    rejects(() => parseHybridArgs({ query: "x", candidates: 0 }), "candidates", /integer >= 1/);
  });

  test("query text: not empty or blank, no NUL, no lone surrogate", () => {
    for (const q of ["", "   ", "\n\t"]) {
      assert.throws(
        () => validateQueryText(q),
        (e: unknown) => e instanceof InvalidArgumentError && /must not be empty/.test(e.message),
      );
    }
    assert.throws(() => validateQueryText("a\u0000b"), InvalidArgumentError);
    assert.throws(() => validateQueryText("a\uD800b"), InvalidArgumentError);
    assert.equal(validateQueryText(" cats "), " cats ");
  });

  test("query vector: the embedder's length, finite numbers, not all zeros", () => {
    const ok = Array.from({ length: 384 }, (_, i) => (i === 0 ? 1 : 0));
    assert.deepEqual(validateQueryVector(ctx, ok), ok);
    assert.deepEqual(validateQueryVector(ctx, Float32Array.from(ok)), ok);
    const mismatch = (v: unknown, received: number) =>
      assert.throws(
        () => validateQueryVector(ctx, v),
        (e: unknown) =>
          e instanceof DimensionMismatchError &&
          e.code === "DIMENSION_MISMATCH" &&
          e.expected === 384 &&
          e.received === received,
      );
    mismatch([1, 2, 3], 3);
    mismatch(new Array(385).fill(0.1), 385);
    mismatch([...ok.slice(1), Number.NaN], 384);
    mismatch([...ok.slice(1), Number.POSITIVE_INFINITY], 384);
    mismatch([...ok.slice(1), "1"], 384);
    assert.throws(() => validateQueryVector(ctx, new Array(384).fill(0)), InvalidArgumentError);
  });
});
