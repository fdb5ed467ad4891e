/**
 * Bulk loads that cannot lose an index (issue #22): a process killed between the drop and the
 * build leaves the definitions in the table's comment, and the next store search, `checkDatabase`
 * or the next bulk load builds exactly the same index again; two stores (two pools, two owners,
 * as two processes) loading one table at once drop and build it once, with every row in it.
 * The loads here build CONCURRENTLY (a PostgreSQL server does; PGlite builds plainly), the
 * repairs by search and checkDatabase plainly, so both builds are covered.
 */
import assert from "node:assert/strict";
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bundleModule } from "../../scripts/bundle-module.ts";
import { checkDatabase } from "../../src/db/check.ts";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { databaseUrl, hnswIndexes, onCitus, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { crashRows } from "../helpers/vectors.ts";

// The child runs bundled, as the test files do (scripts/test-bundle.ts): no tsx loader to start.
// Inside the repository, so that its package imports resolve to node_modules.
const cacheDir = fileURLToPath(new URL("../../node_modules/.cache", import.meta.url));
mkdirSync(cacheDir, { recursive: true });
const bundleDir = mkdtempSync(join(cacheDir, "phs-bulk-load-child-"));
after(() => rmSync(bundleDir, { recursive: true, force: true }));
let childBundle: Promise<string> | undefined;
const bundledChild = () => {
  const outfile = join(bundleDir, "bulk-load-child.mjs");
  const source = fileURLToPath(new URL("../helpers/bulk-load-child.ts", import.meta.url));
  childBundle ??= bundleModule(source, { outfile }).then(() => outfile);
  return childBundle;
};

function client() {
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl(), max: 4, idleTimeoutMillis: 1000 }),
    log: [{ emit: "event", level: "query" }],
  });
  const statements: string[] = [];
  prisma.$on("query", (e) => statements.push(e.query));
  after(() => prisma.$disconnect());
  return { prisma, statements };
}
const { prisma: base } = client();

const tableComment = () =>
  withPg(async (pg) => (await pg.query(`SELECT obj_description('"Annotation"'::regclass, 'pg_class') AS c`)).rows[0].c);

/** Starts the child's load and kills it (SIGKILL) once its first batch has committed. */
async function crashedLoad(documentId: string, label: string, seed: number, rows: number): Promise<void> {
  const proc: ChildProcessByStdio<null, Readable, Readable> = spawn(
    process.execPath,
    [await bundledChild(), documentId, label, String(seed), String(rows)],
    { env: process.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  proc.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => proc.on("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("loading")) resolve();
    });
    proc.on("close", (code) => reject(new Error(`the child exited (${code}) before loading: ${stderr}`)));
  });
  assert.deepEqual(await hnswIndexes("Annotation"), [], "the child dropped the index");
  assert.match(String(await tableComment()), /^prisma-hybrid-store: HNSW indexes dropped/);
  proc.kill("SIGKILL");
  await exited;
}

/** Repeats `step` until `done` (each read of the catalog is cheap); bounded so a bug fails, not hangs. */
async function until(done: () => Promise<boolean>, step: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 240; i++) {
    await step();
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail("the pending index was never built");
}

describe("a bulk load that dies loses no index", { skip: onCitus() && "Citus keeps the index" }, () => {
  test("killed after the drop: the next search, checkDatabase and the next load each build the same index", async () => {
    const before = await hnswIndexes("Annotation");
    assert.equal(before.length, 1);
    assert.ok(before[0]?.usable);
    const label = uniqueLabel("crash");
    const { id: documentId } = await base.document.create({ data: { content: "parent", label } });
    await withPg((pg) => pg.query(`COMMENT ON TABLE "Annotation" IS 'the user''s own comment'`));
    const documents = await hnswIndexes("Document");
    const same = async () => JSON.stringify(await hnswIndexes("Annotation")) === JSON.stringify(before);
    const sameDocuments = async () => JSON.stringify(await hnswIndexes("Document")) === JSON.stringify(documents);
    try {
      // 1. The next store's searches: exact until the marker is stale, then a background build
      //    (of the searched table only: the child's $bulkLoad dropped Document's index too).
      await crashedLoad(documentId, label, 1, 40);
      const store = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
      const rows = crashRows(1, 40);
      const { plan } = await store.annotation.explainSearch({ query: rows[0]!.vector, take: 3 });
      assert.equal(plan.kind, "exact", "no index yet: exact");
      await until(same, () => store.annotation.similaritySearch({ query: rows[1]!.vector, take: 3 }));
      assert.equal(await tableComment(), "the user's own comment", "the table's own comment is back");
      // The child's committed rows are in the rebuilt graph: forced HNSW finds each one's own vector.
      for (const r of rows.slice(0, 8)) {
        const [hit] = await store.annotation.similaritySearch({ query: r.vector, plan: "hnsw", take: 1 });
        assert.equal(hit?.rawText, r.text);
      }
      // The store plans on the index again (a forced HNSW plan is exact only without a usable index).
      await until(
        async () =>
          (await store.annotation.explainSearch({ query: rows[2]!.vector, plan: "hnsw", take: 3 })).plan.kind !==
          "exact",
        async () => undefined,
      );

      // 2. checkDatabase (what the CLI runs first) builds them and says so. Each table's marker
      //    goes stale on its own (the child beat them on separate timers), so one call may find
      //    only one of them stale: each is rebuilt once, by whichever call finds it so.
      await crashedLoad(documentId, label, 2, 40);
      const rebuilt: string[] = [];
      await until(
        async () => rebuilt.length >= 2,
        async () => {
          rebuilt.push(...(await checkDatabase(base)).rebuiltIndexes);
        },
      );
      assert.deepEqual(rebuilt.sort(), ['public."Annotation"', 'public."Document"']);
      assert.ok(await same());
      assert.ok(await sameDocuments());
      assert.equal(await tableComment(), "the user's own comment");

      // 3. The next bulk load takes the dead load's drop over and builds at its end.
      await crashedLoad(documentId, label, 3, 40);
      const { prisma: other, statements } = client();
      const loader = other.$extends(
        hybridStore({ embedder: tinyEmbedder(), bulkLoad: { minRows: 1, share: 0, concurrently: true } }),
      );
      await new Promise((r) => setTimeout(r, 1_500)); // the child's staleAfterMs (1 s) has passed
      const extra = crashRows(4, 20).map((r) => ({ documentId, label, rawText: r.text, ...withEmbedding(r.vector) }));
      await loader.$bulkLoad(() => loader.annotation.createMany({ data: extra }));
      // Both tables' indexes were pending; the load took both over: one drop (IF EXISTS) and one build each.
      for (const table of ["Annotation", "Document"]) {
        const of = (re: RegExp) => statements.filter((s) => re.test(s) && s.includes(`"${table}_`)).length;
        assert.equal(of(/^DROP INDEX/), 1, `${table}: the dead load's drop taken over`);
        assert.equal(of(/^CREATE INDEX/), 1, `${table}: one build`);
      }
      assert.ok(await same());
      assert.ok(await sameDocuments());
      assert.equal(await tableComment(), "the user's own comment");
      assert.equal(await base.annotation.count({ where: { label } }), 3 * 40 + 20);
    } finally {
      // Leave the indexes for the other files: build what is still pending (the marker is what
      // says how, so it must not be cleared first), then drop the test's own comment.
      await until(
        async () => (await same()) && (await sameDocuments()),
        () => checkDatabase(base),
      ).catch(() => undefined);
      await withPg((pg) => pg.query(`COMMENT ON TABLE "Annotation" IS NULL`));
    }
  });

  test("two stores loading one table at once: one drop, one build, every row", async () => {
    const before = await hnswIndexes("Annotation");
    const label = uniqueLabel("twice");
    const { id: documentId } = await base.document.create({ data: { content: "parent", label } });
    const a = client();
    const b = client();
    const options = { embedder: tinyEmbedder(), bulkLoad: { minRows: 1, share: 0, concurrently: true } };
    const stores = [a.prisma.$extends(hybridStore(options)), b.prisma.$extends(hybridStore(options))];
    // Each load starts writing only once both have passed their drop (or join): two drops of
    // one table can then only come from the library, not from one load ending before the other began.
    const started = stores.map(() => {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      return { promise, resolve };
    });
    await Promise.all(
      stores.map((store, s) =>
        store.$bulkLoad(async () => {
          started[s]!.resolve();
          await Promise.all(started.map((p) => p.promise));
          for (let batch = 0; batch < 4; batch++) {
            const data = crashRows(10 + 4 * s + batch, 25).map((r) => ({
              documentId,
              label,
              rawText: r.text,
              ...withEmbedding(r.vector),
            }));
            await store.annotation.createMany({ data });
          }
        }),
      ),
    );
    const all = [...a.statements, ...b.statements];
    // $bulkLoad without models drops both tables' indexes: one drop and one build of each.
    for (const table of ["Annotation", "Document"]) {
      const of = (re: RegExp) => all.filter((s) => re.test(s) && s.includes(`"${table}_`)).length;
      assert.equal(of(/^DROP INDEX/), 1, `one drop of ${table}'s index`);
      assert.equal(of(/^CREATE INDEX/), 1, `one build of ${table}'s index`);
    }
    assert.deepEqual(await hnswIndexes("Annotation"), before);
    assert.equal(await tableComment(), null);
    assert.equal(await base.annotation.count({ where: { label } }), 2 * 4 * 25);
  });
});
