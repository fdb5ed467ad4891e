/**
 * Issue #8, bad inputs through the LlamaIndex.TS adapter (`PrismaHybridVectorStore`): add(),
 * query(), delete() and the constructor. Each case gives a typed error, or (for data that only
 * looks hostile) succeeds with exactly that data, and the database is compared before and after.
 */
import assert from "node:assert/strict";
import { after, before, describe } from "node:test";
import { NodeRelationship, TextNode } from "llamaindex";
import { DimensionMismatchError, InvalidArgumentError, InvalidFilterError } from "../../src/errors.ts";
import type { HybridMetadataFilters, HybridVectorStoreQuery } from "../../src/llamaindex/index.ts";
import { HybridQueryMode, PrismaHybridVectorStore } from "../../src/llamaindex/index.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { type BadInput, type Created, fails, runCases } from "./cases.ts";

const prisma = createPrisma();
const store = new PrismaHybridVectorStore({ prisma, embedder: tinyEmbedder() });
const refDoc = uniqueLabel("bad-li-doc");
const HOSTILE = `v'); DELETE FROM "Annotation"; --`;
const HOSTILE_KEY = `k" = '' OR 1=1; DROP TABLE "Document"; --`;
const MB = 1_000_000;
/** 1 MB of text. LlamaIndex's getContent() trims a node's text, so it ends in a word, not a space. */
const ONE_MB = `${"word ".repeat(MB / 5 - 1)}word.`;

const vector = (length: number, fill = 0.1) => new Array<number>(length).fill(fill);
const node = (text: string, extra: Partial<ConstructorParameters<typeof TextNode>[0]> = {}) =>
  new TextNode({
    id_: uniqueLabel("bad-li-node"),
    text,
    relationships: { [NodeRelationship.SOURCE]: { nodeId: refDoc, metadata: {} } },
    ...extra,
  });
/** A valid node first, so every bad batch also proves its good nodes are not written either. */
const withGood = (bad: TextNode) => store.add([node("a valid node before the bad one"), bad]);
const query = (q: Partial<HybridVectorStoreQuery>) =>
  store.query({ queryStr: "rent", similarityTopK: 3, mode: HybridQueryMode.DEFAULT, ...q });
const filtered = (filters: HybridMetadataFilters, mode: HybridVectorStoreQuery["mode"] = HybridQueryMode.DEFAULT) =>
  query({ filters, mode });

let hostileNode = "";
let plainNode = "";

before(async () => {
  const plain = node("Rent is due on the first day of the month.", { metadata: { kind: "plain", page: 1 } });
  const hostile = node(HOSTILE, { metadata: { [HOSTILE_KEY]: HOSTILE, page: 2 } });
  [plainNode = "", hostileNode = ""] = await store.add([plain, hostile]);
});

after(async () => {
  await store.delete(refDoc);
  await prisma.$disconnect();
});

async function storedNode(id: string) {
  return withPg(async (pg) => {
    const { rows } = await pg.query<{ rawText: string; metadata: Record<string, unknown>; embedded: boolean }>(
      `SELECT "rawText", metadata, embedding IS NOT NULL AS embedded FROM "Annotation" WHERE id = $1`,
      [id],
    );
    return rows[0];
  });
}

/** add() must store each node's text exactly, with a vector; the rows are deleted again. */
const storesNodes =
  (check?: (row: NonNullable<Awaited<ReturnType<typeof storedNode>>>) => void) =>
  async (result: unknown): Promise<Created> => {
    const ids = result as string[];
    for (const id of ids) {
      const row = await storedNode(id);
      assert.ok(row, `node ${id} was written`);
      assert.equal(row.embedded, true);
      check?.(row);
    }
    return { table: "Annotation", ids };
  };

const resultIds = (result: unknown) => (result as { ids: string[] }).ids;

/** A filter group nested `depth` times. */
function nested(depth: number): HybridMetadataFilters {
  let group: HybridMetadataFilters = { filters: [{ key: "kind", operator: "==", value: "plain" }] };
  for (let i = 0; i < depth; i++) group = { filters: [group] };
  return group;
}

const cases: BadInput[] = [
  // add(): vectors.
  {
    name: "add: a 3-number embedding: DIMENSION_MISMATCH, the valid node beside it not written",
    run: () => withGood(node("x", { embedding: [0.1, 0.2, 0.3] })),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "add: NaN in the embedding: DIMENSION_MISMATCH",
    run: () => withGood(node("x", { embedding: [...vector(383), Number.NaN] })),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "add: -Infinity in the embedding: DIMENSION_MISMATCH",
    run: () => withGood(node("x", { embedding: [Number.NEGATIVE_INFINITY, ...vector(383)] })),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "add: an embedding that is a string: DIMENSION_MISMATCH",
    run: () => withGood(node("x", { embedding: "[0.1, 0.2]" as never })),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },

  // add(): texts, ids and metadata PostgreSQL cannot store.
  {
    name: "add: a lone surrogate in the text: INVALID_ARGUMENT",
    run: () => withGood(node("broken \ud800")),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: a NUL character in the text: INVALID_ARGUMENT",
    run: () => withGood(node("nul\u0000")),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: a lone surrogate in a metadata value: INVALID_ARGUMENT (was QUERY_FAILED from jsonb)",
    run: () => withGood(node("x", { metadata: { note: "\udc00" } })),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: a lone surrogate in a metadata key: INVALID_ARGUMENT (was QUERY_FAILED)",
    run: () => withGood(node("x", { metadata: { "k\ud800": 1 } })),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: NaN in metadata: INVALID_ARGUMENT (was stored as null)",
    run: () => withGood(node("x", { metadata: { score: Number.NaN } })),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: Infinity nested in metadata: INVALID_ARGUMENT (was stored as null)",
    run: () => withGood(node("x", { metadata: { scores: [1, Number.NEGATIVE_INFINITY] } })),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: a NUL character in metadata: INVALID_ARGUMENT",
    run: () => withGood(node("x", { metadata: { note: "a\u0000b" } })),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: a bigint in metadata (not JSON): INVALID_ARGUMENT",
    run: () => withGood(node("x", { metadata: { big: 10n } })),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: a NUL character in the node id: INVALID_ARGUMENT (was QUERY_FAILED)",
    run: () => withGood(node("x", { id_: "node\u0000id" })),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: a lone surrogate in the node id: INVALID_ARGUMENT (was QUERY_FAILED)",
    run: () => withGood(node("x", { id_: "node\ud800" })),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: a lone surrogate in the ref doc id: INVALID_ARGUMENT (was QUERY_FAILED)",
    run: () =>
      withGood(
        new TextNode({
          text: "x",
          relationships: { [NodeRelationship.SOURCE]: { nodeId: "doc\udc00", metadata: {} } },
        }),
      ),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: a lone surrogate in the ref doc's file_name (its Document title): INVALID_ARGUMENT (was QUERY_FAILED)",
    run: () =>
      withGood(
        new TextNode({
          text: "x",
          relationships: {
            [NodeRelationship.SOURCE]: { nodeId: uniqueLabel("bad-li-doc"), metadata: { file_name: "\ud800.md" } },
          },
        }),
      ),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: not an array: INVALID_ARGUMENT",
    run: () => store.add("nodes" as never),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "add: a 1 MB text is accepted: stored in full, embedded from its beginning",
    run: () => store.add([node(ONE_MB)]),
    accepts: storesNodes((row) => assert.ok(row.rawText === ONE_MB, "the stored text is exactly the text given")),
  },
  {
    name: "add: an empty text is a valid node: stored as '' with a vector",
    run: () => store.add([node("")]),
    accepts: storesNodes((row) => assert.equal(row.rawText, "")),
  },
  {
    name: "add: SQL in the node id, metadata keys and values is data: stored exactly",
    run: () => store.add([node(HOSTILE, { id_: `${HOSTILE} ${uniqueLabel()}`, metadata: { [HOSTILE_KEY]: HOSTILE } })]),
    accepts: storesNodes((row) => {
      assert.equal(row.rawText, HOSTILE);
      assert.equal(row.metadata[HOSTILE_KEY], HOSTILE);
    }),
  },

  // query(): topK, vectors, texts, modes.
  ...[0, -1, 1_000_000_000, Number.NaN, 2.5].map(
    (similarityTopK): BadInput => ({
      name: `query: similarityTopK ${similarityTopK}: INVALID_ARGUMENT`,
      run: () => query({ similarityTopK }),
      rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
    }),
  ),
  {
    name: "query: a 10-number queryEmbedding: DIMENSION_MISMATCH",
    run: () => query({ queryEmbedding: vector(10) }),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "query: Infinity in the queryEmbedding: DIMENSION_MISMATCH",
    run: () => query({ queryEmbedding: [Number.POSITIVE_INFINITY, ...vector(383)] }),
    rejects: fails(DimensionMismatchError, "DIMENSION_MISMATCH"),
  },
  {
    name: "query: an all-zero queryEmbedding: INVALID_ARGUMENT",
    run: () => query({ queryEmbedding: vector(384, 0) }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "query: an unknown mode: INVALID_ARGUMENT",
    run: () => query({ mode: "semantic" as never }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "query: SPARSE with an empty queryStr: INVALID_ARGUMENT",
    run: () => query({ queryStr: "", mode: HybridQueryMode.SPARSE }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "query: SPARSE with a lone surrogate: INVALID_ARGUMENT",
    run: () => query({ queryStr: "rent \udfff", mode: HybridQueryMode.SPARSE }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "query: SPARSE with a 20,000-word queryStr: INVALID_ARGUMENT (was QUERY_FAILED: stack depth exceeded)",
    run: () => query({ queryStr: "rent ".repeat(20_000), mode: HybridQueryMode.SPARSE }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "query: HYBRID with alpha 2: INVALID_ARGUMENT",
    run: () => query({ mode: HybridQueryMode.HYBRID, alpha: 2 }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "query: MMR with mmrThreshold NaN: INVALID_ARGUMENT",
    run: () => query({ mode: HybridQueryMode.MMR, mmrThreshold: Number.NaN }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "query: docIds that is a string: INVALID_ARGUMENT",
    run: () => query({ docIds: refDoc as never }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "query: 70,000 docIds, more values than one statement can bind: INVALID_FILTER (was QUERY_FAILED 08P01)",
    run: () => query({ docIds: Array.from({ length: 70_000 }, (_, i) => `doc-${i}`) }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "query: SQL in queryStr is data: SPARSE finds the node with those words",
    run: () => query({ queryStr: HOSTILE, mode: HybridQueryMode.SPARSE, docIds: [refDoc] }),
    accepts: (result) => {
      assert.deepEqual(resultIds(result), [hostileNode]);
      return undefined;
    },
  },

  // query(): metadata filters.
  {
    name: "filter: an unknown operator (LIKE): INVALID_FILTER",
    run: () => filtered({ filters: [{ key: "kind", operator: "LIKE" as never, value: "%" }] }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "filter: SQL in the operator: INVALID_FILTER",
    run: () => filtered({ filters: [{ key: "kind", operator: "== 'x' OR 1=1 --" as never, value: "x" }] }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "filter: condition 'xor': INVALID_FILTER",
    run: () => filtered({ condition: "xor" as never, filters: [{ key: "kind", operator: "==", value: "plain" }] }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "filter: NaN as a value: INVALID_FILTER",
    run: () => filtered({ filters: [{ key: "size", operator: ">", value: Number.NaN }] }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "filter: page (Int column) > Infinity: INVALID_FILTER",
    run: () => filtered({ filters: [{ key: "page", operator: ">", value: Number.POSITIVE_INFINITY }] }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "filter: page (Int column) > 2^40: INVALID_FILTER (was QUERY_FAILED: out of range for type integer)",
    run: () => filtered({ filters: [{ key: "page", operator: ">", value: 2 ** 40 }] }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "filter: a lone surrogate in the key: INVALID_FILTER (was QUERY_FAILED)",
    run: () => filtered({ filters: [{ key: "k\ud800", operator: "==", value: "x" }] }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "filter: a lone surrogate in the value: INVALID_FILTER (was QUERY_FAILED)",
    run: () => filtered({ filters: [{ key: "kind", operator: "in", value: ["plain", "\udc00"] }] }),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "filter: groups nested 10,000 deep: INVALID_FILTER (was a RangeError)",
    run: () => filtered(nested(10_000)),
    rejects: fails(InvalidFilterError, "INVALID_FILTER"),
  },
  {
    name: "filter: SQL in a metadata key is data: finds exactly the node with that key",
    run: () => filtered({ filters: [{ key: HOSTILE_KEY, operator: "==", value: HOSTILE }] }),
    accepts: (result) => {
      assert.deepEqual(resultIds(result), [hostileNode]);
      return undefined;
    },
  },
  {
    name: "filter: SQL and LIKE wildcards in a text_match value are data: matches nothing",
    run: () =>
      filtered({ filters: [{ key: "kind", operator: "text_match", value: "%' OR '1'='1" }] }, HybridQueryMode.HYBRID),
    accepts: (result) => {
      assert.deepEqual(resultIds(result), []);
      return undefined;
    },
  },
  {
    name: "filter: a plain value still works next to all this: finds the plain node",
    run: () => filtered({ filters: [{ key: "kind", operator: "==", value: "plain" }] }),
    accepts: (result) => {
      assert.deepEqual(resultIds(result), [plainNode]);
      return undefined;
    },
  },

  // delete(), deleteNodes() and the constructor.
  {
    name: "delete: an empty ref doc id: INVALID_ARGUMENT",
    run: () => store.delete(""),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "delete: SQL as the ref doc id is data: deletes nothing",
    run: () => store.delete(`${refDoc}' OR '1'='1`),
    accepts: () => undefined,
  },
  {
    name: "deleteNodes: a string instead of a list: INVALID_ARGUMENT",
    run: () => store.deleteNodes(hostileNode as never),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "deleteNodes: SQL and wildcards as ids are data: deletes nothing",
    run: () => store.deleteNodes([`${hostileNode}' OR '1'='1`, "%", "*"]),
    accepts: (count) => {
      assert.equal(count, 0);
      return undefined;
    },
  },
  {
    name: "constructor: an unknown option: INVALID_ARGUMENT",
    run: async () => new PrismaHybridVectorStore({ prisma, embedder: tinyEmbedder(), tableName: "x" } as never),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
  {
    name: "constructor: a lone surrogate in mustHaveText: INVALID_ARGUMENT",
    run: async () => new PrismaHybridVectorStore({ prisma, embedder: tinyEmbedder(), mustHaveText: "\ud800" }),
    rejects: fails(InvalidArgumentError, "INVALID_ARGUMENT"),
  },
];

describe("bad inputs through PrismaHybridVectorStore: a typed error or exactly the data given, and the database as it was", () => {
  runCases(cases);
});
