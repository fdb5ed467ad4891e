/**
 * The runtime checks every client kind must pass, on the shared test database (tables from the
 * root's migrations): the save hook, `$reembed`, the searches and the LlamaIndex adapter, run
 * through the project's own generated client and its installed copy of the built library.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CompatKind, projectDir } from "../../scripts/compat-paths.ts";
import { isOutsideTransaction } from "../../src/compat/prisma-client.ts";
import { readClientDefaults } from "../../src/schema/client-defaults.ts";
import { databaseUrl, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder, tinyModelDir } from "../helpers/store.ts";
import { type CompatClient, type CompatProject, type CompatStore, loadProject } from "./compat-project.ts";

/** The stored vector of a row, read around the library, or null. */
export async function storedVector(table: string, idColumn: string, id: string): Promise<number[] | null> {
  return withPg(async (pg) => {
    const r = await pg.query(`select embedding::text as v from "${table}" where "${idColumn}" = $1`, [id]);
    const v = r.rows[0]?.v as string | null | undefined;
    return v ? (JSON.parse(v) as number[]) : null;
  });
}

interface ProbeParams {
  args: object;
  query: (args: object) => Promise<unknown>;
  __internalParams?: unknown;
}

/** The parts of `prisma-hybrid-store/llamaindex` the test uses. */
interface LlamaIndexAdapter {
  PrismaHybridVectorStore: new (options: {
    prisma: unknown;
    embedder: unknown;
  }) => {
    add(nodes: object[]): Promise<string[]>;
    query(query: object): Promise<{ ids: string[] }>;
    delete(refDocId: string): Promise<void>;
  };
}

export const embedOne = async (text: string): Promise<number[]> => (await tinyEmbedder().embed([text]))[0]!;
export const near = (a: number[] | null, b: number[]) => a?.every((x, i) => Math.abs(x - b[i]!) < 1e-6);

export function runtimeSuite(kind: CompatKind): void {
  let project: CompatProject;
  let base: CompatClient;
  let prisma: CompatStore;

  before(async () => {
    project = await loadProject(kind);
    base = project.createBase(databaseUrl());
    prisma = project.withStore(base, tinyEmbedder());
  });
  after(() => base?.$disconnect());

  const vectorOf = (table: "Document" | "Annotation", id: string) => storedVector(table, "id", id);

  describe(`${kind}: save hook`, () => {
    test("create, nested create, createMany, update and upsert embed the text", async () => {
      const label = uniqueLabel(kind);
      const doc = (await prisma.document.create({
        data: {
          content: "the cat sat on the mat",
          label,
          annotations: { create: [{ rawText: "a dog in the fog", label, page: 1 }] },
        },
        include: { annotations: true },
      })) as { id: string; embeddingModel: string | null; annotations: { id: string }[] };
      assert.ok(near(await vectorOf("Document", doc.id), await embedOne("the cat sat on the mat")));
      assert.equal(doc.embeddingModel, tinyEmbedder().modelId);
      assert.ok(near(await vectorOf("Annotation", doc.annotations[0]!.id), await embedOne("a dog in the fog")));

      await prisma.annotation.createMany({
        data: ["one fish", "two fish", "red fish"].map((rawText) => ({ documentId: doc.id, rawText, label })),
      });
      const missing = await withPg((pg) =>
        pg.query(`select count(*)::int as n from "Annotation" where label = $1 and embedding is null`, [label]),
      );
      assert.equal(missing.rows[0].n, 0);

      const before = await vectorOf("Document", doc.id);
      await prisma.document.update({ where: { id: doc.id }, data: { title: "renamed" } });
      assert.deepEqual(await vectorOf("Document", doc.id), before, "a write without text keeps the vector");
      await prisma.document.update({ where: { id: doc.id }, data: { content: { set: "gamma delta" } } });
      assert.ok(near(await vectorOf("Document", doc.id), await embedOne("gamma delta")));

      const source = `${label}-upsert`;
      const upserted = await prisma.document.upsert({
        where: { source },
        create: { source, content: "created by upsert", label },
        update: {},
      });
      assert.ok(near(await vectorOf("Document", upserted.id), await embedOne("created by upsert")));
    });

    test("an explicit vector is stored; a bad one is the library's own typed error", async () => {
      const label = uniqueLabel(kind);
      const vector = Array.from({ length: 384 }, (_, i) => (i === 1 ? 1 : 0));
      const doc = await prisma.document.create({
        data: { content: "given", label, ...project.library.withEmbedding(vector) },
      });
      assert.deepEqual(await vectorOf("Document", doc.id), vector);
      await assert.rejects(
        prisma.document.create({ data: { content: "bad", label, ...project.library.withEmbedding([1, 2]) } }),
        project.library.DimensionMismatchError,
      );
      await assert.rejects(
        prisma.document.create({ data: { content: "nul \u0000", label } }),
        project.library.InvalidArgumentError,
      );
      assert.equal(await base.document.count({ where: { label } }), 1);
    });

    test("interactive transactions: the hook runs on the transaction client and rolls back with it", async () => {
      const label = uniqueLabel(kind);
      await assert.rejects(
        prisma.$transaction(async (tx) => {
          await tx.document.create({ data: { content: "rolled back", label } });
          throw new Error("abort");
        }),
        /abort/,
      );
      assert.equal(await base.document.count({ where: { label } }), 0);
      const doc = await prisma.$transaction((tx) => tx.document.create({ data: { content: "committed", label } }));
      assert.ok(near(await vectorOf("Document", doc.id), await embedOne("committed")));
    });

    test("this client offers what the fast createMany needs: its schema text and the transaction marker", async () => {
      const defaults = readClientDefaults(base);
      assert.deepEqual(
        [defaults?.get("Annotation")?.get("id"), defaults?.get("Annotation")?.get("updatedAt")],
        [{ kind: "uuid" }, { kind: "updatedAt" }],
      );
      const outside: boolean[] = [];
      const probe = base.$extends({
        query: {
          document: {
            $allOperations: ({ args, query, __internalParams }: ProbeParams) => {
              outside.push(isOutsideTransaction(__internalParams));
              return query(args);
            },
          },
        },
      });
      await probe.document.count({});
      await probe.$transaction((tx) => tx.document.count({}));
      assert.deepEqual(outside, [true, false]);
    });

    test("works on a client that already has another extension", async () => {
      const label = uniqueLabel(kind);
      const stacked = base
        .$extends({
          result: {
            document: {
              preview: { needs: { content: true }, compute: (d: { content: string }) => d.content.slice(0, 5) },
            },
          },
        })
        .$extends(project.library.hybridStore({ embedder: tinyEmbedder() })) as CompatStore;
      const doc = await stacked.document.create({ data: { content: "stacked extensions", label } });
      assert.equal(doc.preview, "stack");
      assert.ok(near(await vectorOf("Document", doc.id), await embedOne("stacked extensions")));
    });
  });

  describe(`${kind}: $reembed`, () => {
    test("backfills rows the plain client wrote", async () => {
      const label = uniqueLabel(kind);
      const doc = await base.document.create({ data: { content: "written without the extension", label } });
      await base.annotation.createMany({
        data: ["first plain row", "second plain row"].map((rawText) => ({ documentId: doc.id, rawText, label })),
      });
      assert.equal(await vectorOf("Document", doc.id), null);
      const result = await prisma.$reembed({ batchSize: 50 });
      assert.ok((result.embedded.Document ?? 0) >= 1 && (result.embedded.Annotation ?? 0) >= 2, JSON.stringify(result));
      assert.ok(near(await vectorOf("Document", doc.id), await embedOne("written without the extension")));
      const left = await withPg((pg) =>
        pg.query(`select count(*)::int as n from "Annotation" where label = $1 and embedding is null`, [label]),
      );
      assert.equal(left.rows[0].n, 0);
    });
  });

  describe(`${kind}: search`, () => {
    let label: string;
    const texts = [
      { rawText: "the cat sat on the mat", page: 1 },
      { rawText: "a cat on a mat", page: 2 },
      { rawText: "stock markets fell sharply today", page: 3 },
      { rawText: "the dog chased the ball", page: 2 },
    ];
    const skip = () => (typeof prisma?.annotation.similaritySearch !== "function" ? "no search methods yet" : false);

    before(async () => {
      label = uniqueLabel(kind);
      await prisma.document.create({
        data: { content: "pets and markets", label, annotations: { create: texts.map((t) => ({ ...t, label })) } },
      });
    });

    test("similaritySearch with a field filter", async (t) => {
      if (skip()) return t.skip(String(skip()));
      const hits = await prisma.annotation.similaritySearch!({
        query: "a cat on a mat",
        where: { label, page: { gte: 2 } },
        take: 2,
      });
      assert.equal(hits[0]?.rawText, "a cat on a mat");
      assert.ok(hits.every((h) => (h.page as number) >= 2 && typeof h.similarity === "number"));
    });

    test("similaritySearch with a relation filter, on both models", async (t) => {
      if (skip()) return t.skip(String(skip()));
      const hits = await prisma.annotation.similaritySearch!({
        query: "cat",
        where: { document: { is: { label } } },
        take: 10,
      });
      assert.equal(hits.length, texts.length);
      const docs = await prisma.document.similaritySearch!({ query: "pets and markets", where: { label } });
      assert.equal(docs.length, 1);
    });

    test("textSearch and hybridSearch with a filter", async (t) => {
      if (skip()) return t.skip(String(skip()));
      const text = await prisma.annotation.textSearch!({ query: "cat", where: { label } });
      assert.deepEqual(new Set(text.map((h) => h.rawText)), new Set(["the cat sat on the mat", "a cat on a mat"]));
      const hybrid = await prisma.annotation.hybridSearch!({ query: "cat on the mat", where: { label }, take: 3 });
      assert.match(String(hybrid[0]?.rawText), /cat/);
      assert.ok(hybrid.every((h) => typeof h.score === "number"));
    });
  });

  describe(`${kind}: LlamaIndex adapter`, () => {
    test("add, query and delete nodes through the project's client", async (t) => {
      const li = (await project.importFromProject("prisma-hybrid-store/llamaindex").catch(() => undefined)) as
        | LlamaIndexAdapter
        | undefined;
      if (!li) return t.skip("prisma-hybrid-store/llamaindex is not built yet");
      const { TextNode } = (await project.importFromProject("@llamaindex/core/schema")) as {
        TextNode: new (init: { text: string; metadata: Record<string, unknown> }) => { id_: string };
      };
      const label = uniqueLabel(kind);
      const store = new li.PrismaHybridVectorStore({ prisma: base, embedder: tinyEmbedder() });
      const nodes = ["Cats purr softly in the sun.", "Rockets burn fuel to climb into orbit."].map(
        (text) => new TextNode({ text, metadata: { label } }),
      );
      const ids = await store.add(nodes);
      assert.deepEqual(
        ids,
        nodes.map((n) => n.id_),
      );
      const query = { queryStr: "rockets burn fuel", similarityTopK: 2, mode: "default" };
      const filters = { filters: [{ key: "label", operator: "==", value: label }] };
      const found = await store.query({ ...query, filters });
      assert.equal(found.ids[0], nodes[1]!.id_);
      await store.delete(nodes[1]!.id_);
      const after = await store.query({ ...query, filters });
      assert.deepEqual(after.ids, [nodes[0]!.id_]);
    });
  });

  describe(`${kind}: database check`, () => {
    test("checkDatabase through the project's client, when exported", async (t) => {
      const check = (project.library as Record<string, unknown>).checkDatabase;
      if (typeof check !== "function") return t.skip("checkDatabase is not exported");
      const report = (await check(base)) as { pgvectorVersion: string };
      assert.match(report.pgvectorVersion, /^0\.\d+/);
    });
  });

  describe(`${kind}: CLI`, () => {
    // The CLI runs on its own generated client, pinned to the Prisma runtime that generated it
    // (@prisma/client-runtime-6-19); the project's @prisma/client (7 here, except for
    // prisma-client-js) must not matter.
    const main = join(projectDir(kind), "node_modules", "prisma-hybrid-store", "dist", "cli", "main.js");
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [main, ...args], {
        cwd: projectDir(kind),
        env: { ...process.env, DATABASE_URL: databaseUrl(), PHS_ALLOW_REMOTE_MODELS: "0" },
        encoding: "utf8",
        timeout: 120_000,
      });

    test("@prisma/client, as the installed CLI resolves it, is the project's", () => {
      const { version } = createRequire(main)("@prisma/client/package.json") as { version: string };
      assert.match(version, kind === "prisma-client-js" ? /^6\./ : /^7\./);
    });

    test("the installed CLI starts and searches this project's database", async (t) => {
      if (!existsSync(main)) return t.skip("the CLI is not built");
      const label = uniqueLabel(kind);
      await prisma.document.create({ data: { content: "a cat naps in the sun", label } });
      const help = cli("--help");
      assert.equal(help.status, 0, help.stderr);
      const search = cli(
        "search",
        "cat",
        "--model",
        "document",
        "--label",
        label,
        "--json",
        "--model-dir",
        tinyModelDir,
      );
      assert.equal(search.status, 0, search.stderr);
      assert.match(search.stdout, /a cat naps in the sun/);
    });

    test("the installed CLI migrates, ingests (with --prune) and finds what it ingested", async (t) => {
      if (!existsSync(main)) return t.skip("the CLI is not built");
      const migrate = cli("migrate");
      assert.equal(migrate.status, 0, migrate.stderr);
      assert.match(migrate.stdout, /Already up to date|Applied \d+ migration/);

      const label = uniqueLabel(kind);
      const dir = mkdtempSync(join(tmpdir(), "phs-compat-cli-"));
      try {
        writeFileSync(join(dir, "otters.md"), "# Otters\n\nSea otters hold hands while they sleep.");
        writeFileSync(join(dir, "gone.txt"), "This file is deleted before the second run.");
        const ingest = () => cli("ingest", dir, "--label", label, "--prune", "--model-dir", tinyModelDir);
        const first = ingest();
        assert.equal(first.status, 0, first.stderr);
        assert.match(first.stdout, /2 file\(s\): 2 new/);
        rmSync(join(dir, "gone.txt"));
        const second = ingest();
        assert.equal(second.status, 0, second.stderr);
        assert.match(second.stdout, /1 unchanged/);
        assert.match(second.stdout, /Removed 1 document/);
        const search = cli(
          "search",
          "otters",
          "--mode",
          "text",
          "--label",
          label,
          "--json",
          "--model-dir",
          tinyModelDir,
        );
        assert.equal(search.status, 0, search.stderr);
        const rows = JSON.parse(search.stdout) as { rawText: string }[];
        assert.ok(
          rows.some((r) => /Sea otters/.test(r.rawText)),
          search.stdout,
        );
        assert.equal(await base.document.count({ where: { label } }), 1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
