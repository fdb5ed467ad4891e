/**
 * PrismaHybridVectorStore on a user's own models (test/fixtures/llamaindex-models): nodes in
 * `Passage` (`@@map("passages")`, `@map` columns, `@@schema("kb")`, a 768-d vector from the
 * marking's "wide" embedder, two embedded fields, Json metadata named `attrs`), ref docs in
 * `Article`, the model Passage's relation points to. Both PostgreSQL schemas are renamed per run.
 * Checked with plain SQL read-back: what `add` writes, top-k against brute force over the stored
 * vectors, filters against the nodes' own metadata, deletes; and bad options refused at
 * construction with typed errors.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { Document, type Metadata, MetadataMode, NodeRelationship, TextNode } from "@llamaindex/core/schema";
import { PrismaPg } from "@prisma/adapter-pg";
import { DimensionMismatchError, InvalidArgumentError, SchemaMismatchError } from "../../src/errors.ts";
import {
  HybridQueryMode,
  type HybridVectorStoreQuery,
  PrismaHybridVectorStore,
  type PrismaLikeClient,
} from "../../src/llamaindex/index.ts";
import { databaseUrl, withPg } from "../helpers/db.ts";
import { type MigratedFixture, migrateFixture } from "../helpers/fixture-schema.ts";
import { tiny768, tinyEmbedder } from "../helpers/store.ts";
import { bruteForce, gaussian, normalize, rng } from "../helpers/vectors.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const fixtureDir = join(repoRoot, "test", "fixtures", "llamaindex-models");
const suffix = randomBytes(3).toString("hex");
const pub = `phs_li_pub_${suffix}`;
const kb = `phs_li_kb_${suffix}`;
const run = promisify(execFile);

type Client = PrismaLikeClient & {
  $disconnect(): Promise<void>;
  _engineConfig: { inlineSchema: string };
};

const tiny = tinyEmbedder();
const wide = tiny768("test-wide-768");
const random = rng(20);
const normal = gaussian(random);
const { DEFAULT } = HybridQueryMode;
const unit768 = () => normalize(Array.from({ length: 768 }, normal));

let migrated: MigratedFixture | undefined;
let prisma: Client;
let store: PrismaHybridVectorStore;

before(async () => {
  // The fixture's runtime data model (its generated client, ignored by git); its schema text
  // then names the renamed PostgreSQL schemas, as the migrations made them.
  const prismaCli = join(repoRoot, "node_modules", "prisma", "build", "index.js");
  await run(process.execPath, [prismaCli, "generate", "--schema", join(fixtureDir, "schema.prisma")], {
    cwd: repoRoot,
  });
  migrated = await migrateFixture({
    name: "llamaindex-models",
    searchPath: pub,
    rename: { public: pub, kb },
    embedders: new Map([["wide", 768]]),
  });
  const { PrismaClient } = (await import(pathToFileURL(join(fixtureDir, "generated", "client.ts")).href)) as {
    PrismaClient: new (options: object) => Client;
  };
  prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl(), max: 2 }) });
  prisma._engineConfig.inlineSchema = migrated.schemaText;
  store = new PrismaHybridVectorStore({ prisma, nodeModel: "Passage", textField: "content", embedder: wide });
});

after(async () => {
  await prisma?.$disconnect();
  await migrated?.cleanUp();
});

interface Stored {
  id: string;
  articleId: string;
  content: string;
  page: number | null;
  attrs: Record<string, unknown>;
  vector: number[];
  model: string | null;
}

async function passages(): Promise<Stored[]> {
  return withPg(async (c) => {
    const { rows } = await c.query(
      `select passage_id as id, article_ref as "articleId", passage_text as content, page, attrs_json as attrs,
              passage_vector::text as v, "vectorModel" as model, updated_on
         from "${kb}".passages order by passage_id`,
    );
    return rows.map((r: Stored & { v: string; updated_on: Date | null }) => {
      assert.ok(r.updated_on instanceof Date, "the @updatedAt column is filled");
      return { ...r, vector: JSON.parse(r.v) as number[] };
    });
  });
}

async function articles(): Promise<{ id: string; title: string | null; body: string; meta: unknown }[]> {
  return withPg(async (c) => {
    const { rows } = await c.query(
      `select article_id as id, headline as title, body_text as body, meta from "${kb}".articles order by article_id`,
    );
    return rows;
  });
}

const LANGS = ["en", "de", "fr"];
const WORDS = ["harbour", "meadow", "lantern", "orchard"];

/** Three articles of eight passages; every other passage brings its own vector. */
function makeNodes(): TextNode[] {
  const nodes: TextNode[] = [];
  for (const [d, title] of ["alpha", "beta", "gamma"].entries()) {
    const doc = new Document({ id_: `article-${title}`, text: "", metadata: { file_name: `${title}.md`, d } });
    for (let i = 0; i < 8; i++) {
      const word = WORDS[(d + i) % WORDS.length]!;
      nodes.push(
        new TextNode<Metadata>({
          id_: `p-${title}-${i}`,
          text: `The ${word} passage ${i} of ${title}`,
          metadata: { lang: LANGS[(d + i) % 3]!, year: 2018 + i, page: i, tags: [word, `t${i % 2}`] },
          relationships: { [NodeRelationship.SOURCE]: doc.asRelatedNodeInfo() },
          ...(i % 2 === 0 ? { embedding: unit768() } : {}),
        }),
      );
    }
  }
  return nodes;
}

const nodes = makeNodes();

describe("PrismaHybridVectorStore on Passage/Article", () => {
  test("add writes node rows with their vectors and creates each ref doc row once", async () => {
    const ids = await store.add(nodes);
    assert.deepEqual(
      ids,
      nodes.map((n) => n.id_),
    );
    const rows = await passages();
    assert.equal(rows.length, nodes.length);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const [embedded] = await wide.embed([nodes[1]!.getContent(MetadataMode.EMBED)]);
    for (const node of nodes) {
      const row = byId.get(node.id_)!;
      assert.equal(row.content, node.text);
      assert.equal(row.articleId, node.sourceNode!.nodeId);
      assert.equal(row.page, node.metadata.page, "metadata.page also fills the Int page column");
      assert.equal(row.attrs.lang, node.metadata.lang, "metadata lives in the Json field attrs");
      assert.equal(row.model, wide.modelId);
      assert.equal(row.vector.length, 768);
      if (node.embedding)
        assert.deepEqual(row.vector.map(Math.fround), node.embedding.map(Math.fround), "a node's own vector is stored");
    }
    assert.deepEqual(
      byId.get(nodes[1]!.id_)!.vector.map((x) => x.toFixed(5)),
      embedded!.map((x) => Math.fround(x).toFixed(5)),
      "a node without a vector is embedded by the store's embedder (its text with the embed-visible metadata)",
    );
    assert.deepEqual(await articles(), [
      { id: "article-alpha", title: "alpha.md", body: "", meta: { file_name: "alpha.md", d: 0 } },
      { id: "article-beta", title: "beta.md", body: "", meta: { file_name: "beta.md", d: 1 } },
      { id: "article-gamma", title: "gamma.md", body: "", meta: { file_name: "gamma.md", d: 2 } },
    ]);
  });

  test("top-k equals brute force over the stored vectors, and the nodes come back whole", async () => {
    const stored = await passages();
    for (let q = 0; q < 5; q++) {
      const query = unit768();
      const k = 1 + q * 2;
      const result = await store.query({ queryEmbedding: query, similarityTopK: k, mode: DEFAULT });
      const expected = bruteForce(stored, query).slice(0, k);
      assert.deepEqual(
        result.ids,
        expected.map((e) => e.id),
        `query ${q}`,
      );
      for (const [i, s] of result.similarities.entries()) {
        assert.ok(Math.abs(s - (1 - expected[i]!.distance)) < 1e-4, "similarity is 1 - cosine distance");
      }
    }
    const { nodes: found } = await store.query({ queryStr: nodes[3]!.text, similarityTopK: 1, mode: DEFAULT });
    const node = found?.[0] as TextNode;
    assert.equal(node.id_, nodes[3]!.id_);
    assert.equal(node.text, nodes[3]!.text);
    assert.deepEqual(node.metadata, nodes[3]!.metadata);
    assert.equal(node.sourceNode?.nodeId, nodes[3]!.sourceNode?.nodeId);
  });

  test("metadata filters, column keys and docIds select exactly the matching nodes", async () => {
    const stored = await passages();
    const query = unit768();
    const check = async (
      label: string,
      options: Pick<HybridVectorStoreQuery, "filters" | "docIds">,
      keep: (n: TextNode) => boolean,
    ) => {
      const result = await store.query({ ...options, queryEmbedding: query, similarityTopK: 100, mode: DEFAULT });
      const wanted = new Set(nodes.filter(keep).map((n) => n.id_));
      assert.ok(wanted.size > 0 && wanted.size < nodes.length, `${label}: a real restriction`);
      const expected = bruteForce(
        stored.filter((s) => wanted.has(s.id)),
        query,
      ).map((e) => e.id);
      assert.deepEqual(result.ids, expected, label);
    };
    await check(
      "lang == en and year >= 2020",
      {
        filters: {
          filters: [
            { key: "lang", operator: "==", value: "en" },
            { key: "year", operator: ">=", value: 2020 },
          ],
        },
      },
      (n) => n.metadata.lang === "en" && n.metadata.year >= 2020,
    );
    await check(
      "tags any, or page column",
      {
        filters: {
          condition: "or",
          filters: [
            { key: "tags", operator: "any", value: ["lantern"] },
            { key: "page", operator: "<", value: 2 },
          ],
        },
      },
      (n) => (n.metadata.tags as string[]).includes("lantern") || n.metadata.page < 2,
    );
    await check(
      "the ref doc key by its own name",
      { filters: { filters: [{ key: "articleId", operator: "in", value: ["article-beta"] }] } },
      (n) => n.sourceNode?.nodeId === "article-beta",
    );
    await check(
      "documentId and docIds",
      {
        docIds: ["article-alpha", "article-gamma"],
        filters: { filters: [{ key: "documentId", operator: "!=", value: "article-gamma" }] },
      },
      (n) => n.sourceNode?.nodeId === "article-alpha",
    );
  });

  test("full-text and hybrid search run on the node model's own columns", async () => {
    const { ids } = await store.query({ queryStr: "orchard", similarityTopK: 100, mode: HybridQueryMode.SPARSE });
    const expected = nodes.filter((n) => n.text.includes("orchard")).map((n) => n.id_);
    assert.deepEqual(new Set(ids), new Set(expected));
    const hybrid = await store.query({ queryStr: "orchard", similarityTopK: 3, mode: HybridQueryMode.HYBRID });
    assert.equal(hybrid.ids.length, 3);
    const scoped = new PrismaHybridVectorStore({
      prisma,
      nodeModel: "Passage",
      textField: "content",
      embedder: wide,
      documentId: "article-beta",
      mustHaveText: "ORCHARD",
    });
    const inBeta = await scoped.query({ queryStr: "passage", similarityTopK: 100, mode: DEFAULT });
    assert.deepEqual(
      new Set(inBeta.ids),
      new Set(nodes.filter((n) => n.id_.startsWith("p-beta-") && n.text.includes("orchard")).map((n) => n.id_)),
    );
  });

  test("add upserts by id; deleteNodes removes single nodes; delete removes exactly one ref doc's nodes", async () => {
    const changed = new TextNode({
      id_: nodes[0]!.id_,
      text: "A rewritten harbour passage",
      metadata: { lang: "en" },
      relationships: { [NodeRelationship.SOURCE]: nodes[0]!.relationships[NodeRelationship.SOURCE]! },
    });
    await store.add([changed]);
    const [vector] = await wide.embed([changed.getContent(MetadataMode.EMBED)]);
    const after = await passages();
    assert.equal(after.length, nodes.length);
    const row = after.find((r) => r.id === changed.id_)!;
    assert.equal(row.content, changed.text);
    assert.equal(row.page, null);
    assert.deepEqual(
      row.vector.map((x) => x.toFixed(5)),
      vector!.map((x) => Math.fround(x).toFixed(5)),
    );

    assert.equal(await store.deleteNodes([nodes[8]!.id_, "missing"]), 1);
    const before = await passages();
    await store.delete("article-alpha");
    const left = await passages();
    assert.deepEqual(
      left.map((r) => r.id),
      before.filter((r) => r.articleId !== "article-alpha").map((r) => r.id),
    );
    assert.deepEqual(
      (await articles()).map((a) => a.id),
      ["article-beta", "article-gamma"],
    );
  });
});

describe("options the store refuses at construction, naming what is wrong", () => {
  const refuses = (options: object, error: new (...args: never[]) => Error, ...mentions: string[]) => {
    let caught: unknown;
    try {
      new PrismaHybridVectorStore({ prisma, embedder: wide, ...options });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof error, `${JSON.stringify(options)}: ${String(caught)}`);
    for (const m of mentions) assert.ok(caught.message.includes(m), `"${m}" in: ${caught.message}`);
    return caught;
  };

  test("bad models and fields, and an embedder of the wrong size", async () => {
    const before = await passages();
    const mismatch = refuses({ nodeModel: "Passage", textField: "content", embedder: tiny }, DimensionMismatchError);
    assert.equal((mismatch as DimensionMismatchError).code, "DIMENSION_MISMATCH");
    assert.equal((mismatch as DimensionMismatchError).expected, 768);
    refuses({ nodeModel: "Passage" }, SchemaMismatchError, "heading, content", "textField");
    refuses({ nodeModel: "Passage", textField: "page" }, SchemaMismatchError, 'textField "page"');
    refuses({ nodeModel: "Passage", textField: "content", metadataField: "page" }, SchemaMismatchError, "Int");
    refuses({ nodeModel: "Passage", textField: "content", refDocModel: "Note" }, SchemaMismatchError, "Note's @id");
    refuses({ nodeModel: "Passage", textField: "content", refDocModel: "Nope" }, SchemaMismatchError, '"Nope"');
    refuses({ nodeModel: "Nope" }, SchemaMismatchError, '"Nope"');
    refuses({ nodeModel: "Article", embedder: tiny }, SchemaMismatchError, "Article has no relation");
    refuses({ nodeModel: "Note", embedder: tiny }, SchemaMismatchError, "Note.id is Int", "Note.ownerId");
    refuses({ embedder: tiny }, SchemaMismatchError, "has no model");
    refuses({ nodeModel: "" }, InvalidArgumentError, "nodeModel");
    refuses({ nodeModel: "Passage", textField: 3 }, InvalidArgumentError, "textField");
    assert.deepEqual(await passages(), before, "nothing was written");
  });
});
