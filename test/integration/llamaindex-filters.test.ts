import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FilterCondition, FilterOperator, NodeRelationship, Settings, TextNode, VectorStoreIndex } from "llamaindex";
import { InvalidFilterError } from "../../src/errors.ts";
import type { HybridMetadataFilter, HybridMetadataFilters } from "../../src/llamaindex/index.ts";
import { HybridQueryMode, MiniLmEmbedding, PrismaHybridVectorStore } from "../../src/llamaindex/index.ts";
import { parseMetadataFilters } from "../../src/llamaindex/metadata-filters.ts";
import { resolveStoreModels } from "../../src/llamaindex/store-models.ts";
import { compileFilter } from "../../src/query/compile-filter.ts";
import { SqlParams } from "../../src/sql/sql-params.ts";
import { createPrisma, uniqueLabel, withPg } from "../helpers/db.ts";
import { projectSchema } from "../helpers/query.ts";
import { tinyEmbedder } from "../helpers/store.ts";

Settings.embedModel = new MiniLmEmbedding(tinyEmbedder());
const prisma = createPrisma();
const label = uniqueLabel("lif");
const docId = uniqueLabel("doc");
const otherDoc = uniqueLabel("doc");
const INJECTED_KEY = `it's "odd"; DROP TABLE "Annotation"; --`;

/**
 * Five nodes whose metadata covers every operator's edge: 0, false and "" values, numbers next to
 * numeric strings, arrays, missing keys, JSON null. `page` also fills the Int column.
 */
const METADATA: Record<string, Record<string, unknown>> = {
  n1: { color: "red", size: 0, flag: false, note: "", tags: ["a", "b"], year: 2020, title: "Alpha Beta", page: 0 },
  n2: { color: "blue", size: 5, flag: true, note: "x", tags: ["b", "c"], year: 2021, title: "gamma", page: 1 },
  n3: { color: "green", size: 10, tags: [], year: 2022, nested: null, page: 2 },
  n4: { color: "red", size: "5", flag: "false", note: null, year: "2023", title: "100% alpha", [INJECTED_KEY]: "v" },
  n5: {},
};
type Key = keyof typeof METADATA;
const ids = Object.fromEntries(Object.keys(METADATA).map((k) => [k, uniqueLabel(k)])) as Record<Key, string>;
const store = new PrismaHybridVectorStore({ prisma });

before(async () => {
  const nodes = (Object.keys(METADATA) as Key[]).map(
    (k) =>
      new TextNode({
        id_: ids[k],
        text: `node ${k}`,
        metadata: { ...METADATA[k], label },
        relationships: { [NodeRelationship.SOURCE]: { nodeId: k === "n5" ? otherDoc : docId, metadata: {} } },
      }),
  );
  await store.add(nodes);
});
after(async () => {
  await store.delete(docId);
  await store.delete(otherDoc);
  await prisma.$disconnect();
});

/** The nodes (of this suite) a filter keeps, found by a plain vector query. */
async function matching(
  filter: HybridMetadataFilter | HybridMetadataFilters,
  condition?: "and" | "or",
): Promise<Set<string>> {
  const inner: HybridMetadataFilters = "filters" in filter ? filter : { filters: [filter], condition };
  const { ids: found } = await store.query({
    queryStr: "node",
    similarityTopK: 50,
    mode: HybridQueryMode.DEFAULT,
    filters: { filters: [{ key: "label", operator: "==", value: label }, inner] },
  });
  return new Set(found.map((id) => (Object.keys(ids) as Key[]).find((k) => ids[k] === id)!));
}
const set = (...keys: Key[]) => new Set(keys);
const f = (key: string, operator: HybridMetadataFilter["operator"], value?: HybridMetadataFilter["value"]) => ({
  key,
  operator,
  value,
});

async function tableCounts() {
  return withPg(async (pg) => {
    const r = await pg.query(
      `select (select count(*) from "Annotation")::int as a, (select count(*) from "Document")::int as d`,
    );
    return r.rows[0] as { a: number; d: number };
  });
}

describe("LlamaIndex metadata filters", () => {
  test('== on strings, numbers, booleans, and the falsy values 0, false, "" (never dropped)', async () => {
    assert.deepEqual(await matching(f("color", FilterOperator.EQ, "red")), set("n1", "n4"));
    assert.deepEqual(await matching(f("size", FilterOperator.EQ, 0)), set("n1"));
    assert.deepEqual(await matching(f("flag", FilterOperator.EQ, false)), set("n1"), 'false is not the string "false"');
    assert.deepEqual(await matching(f("note", FilterOperator.EQ, "")), set("n1"));
    assert.deepEqual(await matching(f("size", FilterOperator.EQ, 5)), set("n2"), '5 is not "5": types compare exactly');
    assert.deepEqual(await matching(f("color", FilterOperator.EQ, "purple")), set());
  });

  test("!= is the complement of == (rows without the key match)", async () => {
    assert.deepEqual(await matching(f("color", FilterOperator.NE, "red")), set("n2", "n3", "n5"));
    assert.deepEqual(await matching(f("size", FilterOperator.NE, 0)), set("n2", "n3", "n4", "n5"));
    assert.deepEqual(await matching(f("flag", FilterOperator.NE, false)), set("n2", "n3", "n4", "n5"));
  });

  test(">, <, >=, <= compare numbers numerically and skip values of another type", async () => {
    assert.deepEqual(await matching(f("year", FilterOperator.GT, 2020)), set("n2", "n3"));
    assert.deepEqual(await matching(f("year", FilterOperator.GTE, 2021)), set("n2", "n3"));
    assert.deepEqual(await matching(f("year", FilterOperator.LT, 2021)), set("n1"));
    assert.deepEqual(await matching(f("year", FilterOperator.LTE, 2021)), set("n1", "n2"));
    assert.deepEqual(await matching(f("size", FilterOperator.LT, 5)), set("n1"), "0 < 5 (a 0 bound value works too)");
    assert.deepEqual(await matching(f("size", FilterOperator.GT, 0)), set("n2", "n3"));
    assert.deepEqual(await matching(f("title", FilterOperator.GTE, "b")), set("n2"), "strings compare as text");
  });

  test("in / nin: nin means not in the list (not `!= ANY`, which keeps almost everything)", async () => {
    assert.deepEqual(await matching(f("color", FilterOperator.IN, ["red", "green"])), set("n1", "n3", "n4"));
    assert.deepEqual(await matching(f("color", FilterOperator.NIN, ["red", "green"])), set("n2", "n5"));
    assert.deepEqual(await matching(f("size", FilterOperator.IN, [0, 10])), set("n1", "n3"));
    assert.deepEqual(await matching(f("size", FilterOperator.NIN, [0])), set("n2", "n3", "n4", "n5"));
    assert.deepEqual(await matching(f("color", FilterOperator.IN, [])), set());
    assert.deepEqual(await matching(f("color", FilterOperator.NIN, [])), set("n1", "n2", "n3", "n4", "n5"));
  });

  test("any / all / contains test array values", async () => {
    assert.deepEqual(await matching(f("tags", FilterOperator.ANY, ["a", "c"])), set("n1", "n2"));
    assert.deepEqual(await matching(f("tags", FilterOperator.ANY, ["z"])), set());
    assert.deepEqual(await matching(f("tags", FilterOperator.ALL, ["b", "c"])), set("n2"));
    assert.deepEqual(await matching(f("tags", FilterOperator.ALL, ["b"])), set("n1", "n2"));
    assert.deepEqual(await matching(f("tags", FilterOperator.CONTAINS, "a")), set("n1"));
    assert.deepEqual(await matching(f("color", FilterOperator.CONTAINS, "red")), set(), "a string is not an array");
  });

  test("text_match is a case-sensitive substring with LIKE wildcards escaped; text_match_insensitive ignores case", async () => {
    assert.deepEqual(await matching(f("title", FilterOperator.TEXT_MATCH, "alpha")), set("n4"));
    assert.deepEqual(await matching(f("title", "text_match_insensitive", "alpha")), set("n1", "n4"));
    assert.deepEqual(await matching(f("title", FilterOperator.TEXT_MATCH, "%")), set("n4"), "% is literal");
    assert.deepEqual(await matching(f("title", FilterOperator.TEXT_MATCH, "_")), set());
  });

  test('is_empty: missing, JSON null, "" or []', async () => {
    assert.deepEqual(await matching(f("note", FilterOperator.IS_EMPTY)), set("n1", "n3", "n4", "n5"));
    assert.deepEqual(await matching(f("tags", FilterOperator.IS_EMPTY)), set("n3", "n4", "n5"));
    assert.deepEqual(await matching(f("nested", FilterOperator.IS_EMPTY)), set("n1", "n2", "n3", "n4", "n5"));
    assert.deepEqual(await matching(f("size", FilterOperator.IS_EMPTY)), set("n5"), "0 is not empty");
  });

  test("label, page and documentId are the Annotation columns, typed by the schema", async () => {
    assert.deepEqual(await matching(f("page", FilterOperator.EQ, 0)), set("n1"), "page 0 is not dropped");
    assert.deepEqual(await matching(f("page", FilterOperator.GT, 0)), set("n2", "n3"));
    assert.deepEqual(await matching(f("page", FilterOperator.IN, [0, 2])), set("n1", "n3"));
    assert.deepEqual(
      await matching(f("page", FilterOperator.NIN, [0])),
      set("n2", "n3", "n4", "n5"),
      "NULL pages are not in [0]",
    );
    assert.deepEqual(await matching(f("page", FilterOperator.NE, 1)), set("n1", "n3", "n4", "n5"));
    assert.deepEqual(await matching(f("page", FilterOperator.IS_EMPTY)), set("n4", "n5"));
    assert.deepEqual(await matching(f("documentId", FilterOperator.EQ, otherDoc)), set("n5"));
    assert.deepEqual(await matching(f("documentId", FilterOperator.NIN, [otherDoc])), set("n1", "n2", "n3", "n4"));
    assert.deepEqual(
      await matching(f("label", FilterOperator.TEXT_MATCH, label.slice(0, 6))),
      set("n1", "n2", "n3", "n4", "n5"),
    );
    await assert.rejects(matching(f("page", FilterOperator.EQ, "1")), InvalidFilterError);
    await assert.rejects(matching(f("page", FilterOperator.ANY, [1])), InvalidFilterError);
    await assert.rejects(matching(f("page", FilterOperator.TEXT_MATCH, "1")), InvalidFilterError);
  });

  test("and / or conditions, and nested groups", async () => {
    const blueOrTen = { filters: [f("color", FilterOperator.EQ, "blue"), f("size", FilterOperator.EQ, 10)] };
    assert.deepEqual(await matching({ ...blueOrTen, condition: FilterCondition.OR }), set("n2", "n3"));
    assert.deepEqual(await matching({ ...blueOrTen, condition: FilterCondition.AND }), set());
    const nested: HybridMetadataFilters = {
      condition: "or",
      filters: [
        f("color", FilterOperator.EQ, "blue"),
        { condition: "and", filters: [f("size", FilterOperator.EQ, 0), f("flag", FilterOperator.EQ, false)] },
      ],
    };
    assert.deepEqual(await matching(nested), set("n1", "n2"));
    assert.deepEqual(
      await matching({ filters: [], condition: "or" }),
      set("n1", "n2", "n3", "n4", "n5"),
      "an empty group restricts nothing",
    );
  });

  test("keys never reach SQL: odd keys are parameters, and the database is unchanged", async () => {
    const before = await tableCounts();
    assert.deepEqual(
      await matching(f(INJECTED_KEY, FilterOperator.EQ, "v")),
      set("n4"),
      "a key with quotes and ; works as a key",
    );
    for (const key of [`color' OR '1'='1`, `color") OR TRUE; --`, `x'; DELETE FROM "Annotation"; --`, `a"b`, "--"]) {
      for (const operator of [
        FilterOperator.EQ,
        FilterOperator.NE,
        FilterOperator.GT,
        FilterOperator.IN,
        FilterOperator.TEXT_MATCH,
        FilterOperator.IS_EMPTY,
      ]) {
        const value = operator === FilterOperator.IN ? ["red"] : operator === FilterOperator.GT ? 0 : "red";
        const found = await matching(f(key, operator, value));
        const expected = operator === FilterOperator.NE || operator === FilterOperator.IS_EMPTY ? 5 : 0;
        assert.equal(found.size, expected, `${key} ${operator}`);
      }
    }
    assert.deepEqual(await tableCounts(), before);
  });

  test("compiled SQL holds neither keys nor values: every one is a parameter", () => {
    const schema = projectSchema();
    for (const operator of Object.values(FilterOperator)) {
      const value = ["in", "nin", "any", "all"].includes(operator) ? ["v'--", 0] : operator === ">" ? 0 : "v'--";
      const params = new SqlParams();
      const { nodes } = resolveStoreModels(schema, undefined, { nodeModel: "Annotation" });
      const node = parseMetadataFilters({ filters: [{ key: INJECTED_KEY, operator, value }] }, nodes);
      const sql = compileFilter(node, { schema, model: schema.Annotation, params });
      assert.ok(!sql.includes("DROP") && !sql.includes("--") && !sql.includes("v'"), `${operator}: ${sql}`);
      assert.ok(JSON.stringify(params.values).includes("DROP TABLE"), `${operator}: the key is a parameter`);
    }
  });

  test("bad filters are InvalidFilterError with paths, before any SQL", async () => {
    const rejects = async (filters: unknown, path: (string | number)[]) => {
      await assert.rejects(
        store.query({
          queryStr: "node",
          similarityTopK: 5,
          mode: HybridQueryMode.DEFAULT,
          filters: filters as HybridMetadataFilters,
        }),
        (err: unknown) =>
          err instanceof InvalidFilterError && err.issues.some((i) => JSON.stringify(i.path) === JSON.stringify(path)),
      );
    };
    await rejects({ filters: [f("color", "regex" as never, "x")] }, ["filters", "filters", 0, "operator"]);
    await rejects({ filters: [f("color", FilterOperator.EQ)] }, ["filters", "filters", 0, "value"]);
    await rejects({ filters: [f("color", FilterOperator.EQ, null)] }, ["filters", "filters", 0, "value"]);
    await rejects({ filters: [f("", FilterOperator.EQ, "x")] }, ["filters", "filters", 0, "key"]);
    await rejects({ filters: [f("size", FilterOperator.GT, Number.NaN)] }, ["filters", "filters", 0, "value"]);
    await rejects({ filters: [f("size", FilterOperator.IN, 5)] }, ["filters", "filters", 0, "value"]);
    await rejects({ filters: [f("size", FilterOperator.EQ, [5])] }, ["filters", "filters", 0, "value"]);
    await rejects({ filters: [f("flag", FilterOperator.GT, true)] }, ["filters", "filters", 0, "value"]);
    await rejects({ filters: [], condition: "xor" }, ["filters", "condition"]);
    await rejects({ filters: [{ filters: [f("a", "~" as never, 1)] }] }, [
      "filters",
      "filters",
      0,
      "filters",
      0,
      "operator",
    ]);
    await rejects("color = red", ["filters"]);
  });

  test("filters reach the store from a LlamaIndex retriever", async () => {
    const index = await VectorStoreIndex.fromVectorStore(store);
    const retriever = index.asRetriever({
      similarityTopK: 10,
      filters: {
        filters: [
          { key: "label", operator: FilterOperator.EQ, value: label },
          { key: "size", operator: FilterOperator.EQ, value: 0 },
        ],
      },
    });
    const hits = await retriever.retrieve("node");
    assert.deepEqual(
      hits.map((h) => h.node.id_),
      [ids.n1],
    );
  });
});
