/**
 * Issue #8, faults: nothing is lost and nothing half-written when the model, the database server
 * or the connection pool fails. Runs on both targets (PGlite and a PostgreSQL server); where a
 * fault needs control of the server, the server variant needs PHS_TEST_PG_DATADIR and
 * PHS_TEST_PG_PORT, as test/integration/server-crash.test.ts does.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { Embedder } from "../../src/embed/embedder.ts";
import { DatabaseUnavailableError, EmbeddingError, HybridStoreError } from "../../src/errors.ts";
import { hybridStore } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { chunkSpans } from "../../src/ingest/chunk-text.ts";
import { IngestFileError } from "../../src/ingest/ingest-error.ts";
import { ingestFiles } from "../../src/ingest/ingest-files.ts";
import { type CliRun, type DbCli, errorLines, runCli, startDbCli } from "../helpers/cli.ts";
import { createPrisma, databaseUrl, target, uniqueLabel, withPg } from "../helpers/db.ts";
import { crashServer, restartServer, serverControlProblem } from "../helpers/native-server.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { within } from "../helpers/time.ts";
import { assertUnchanged, snapshot } from "./snapshot.ts";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "phs-faults-"));
  dirs.push(dir);
  return dir;
};

/** `count` text files of `sentences` sentences each, different in every file. */
function corpus(count: number, sentences: number): string {
  const dir = tempDir();
  mkdirSync(join(dir, "docs"));
  for (let f = 0; f < count; f++) {
    const text = Array.from(
      { length: sentences },
      (_, s) => `File ${f} sentence ${s} says that the rent of flat ${f} is due on day ${(s % 28) + 1}.`,
    ).join(" ");
    writeFileSync(join(dir, "docs", `file-${String(f).padStart(3, "0")}.md`), `# File ${f}\n\n${text}\n`);
  }
  return dir;
}

/**
 * The tiny model behind an embedder that works in batches of `batchSize` texts, as MiniLmEmbedder
 * does (the save hook hands all of a write's texts to one embed() call), and fails on batch
 * number `failOn`, counted over the embedder's life.
 */
function failingEmbedder(batchSize: number, failOn: number): Embedder & { batches: number } {
  const inner = tinyEmbedder();
  const embedder = {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    batches: 0,
    async embed(texts: readonly string[]) {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        if (++embedder.batches === failOn) throw new Error(`the model crashed on batch ${failOn}`);
        out.push(...(await inner.embed(texts.slice(i, i + batchSize))));
      }
      return out;
    },
  };
  return embedder;
}

describe("(a) the embedder fails part-way through a write", () => {
  test("createMany of 100 rows, embedded in batches of 32, fails on the 3rd batch: no row written", async () => {
    const base = createPrisma();
    const label = uniqueLabel("fault-a");
    try {
      const doc = await base.document.create({ data: { content: "the parent of the batch", label } });
      const embedder = failingEmbedder(32, 3);
      const prisma = base.$extends(hybridStore({ embedder, cacheSize: 0 }));
      const before = await snapshot();
      await assert.rejects(
        prisma.annotation.createMany({
          data: Array.from({ length: 100 }, (_, i) => ({
            documentId: doc.id,
            rawText: `chunk ${i} of ${label}`,
            label,
          })),
        }),
        (e: unknown) => e instanceof EmbeddingError && e.code === "EMBEDDING_FAILED",
      );
      assert.equal(embedder.batches, 3, "two batches were embedded before the third failed");
      await assertUnchanged(before);
    } finally {
      await base.document.deleteMany({ where: { label } });
      await base.$disconnect();
    }
  });

  test("ingestFiles: a file written in 4 createMany batches, the 3rd one's embedding fails: nothing of it written", async () => {
    const base = createPrisma();
    const label = uniqueLabel("fault-a-ingest");
    try {
      const dir = corpus(1, 8);
      const text = readFileSync(join(dir, "docs", "file-000.md"), "utf8");
      const options = { label, root: dir, maxChars: 100, overlap: 0, batchSize: 2 };
      assert.ok(chunkSpans(text, options).length >= 6, "at least three createMany batches of 2 chunks");
      // One embed() call per write: the document with its first batch, then one per createMany.
      const embedder = failingEmbedder(1000, 3);
      const prisma = base.$extends(hybridStore({ embedder, cacheSize: 0 }));
      const before = await snapshot();
      await assert.rejects(
        ingestFiles(prisma, [dir], options),
        (e: unknown) => e instanceof IngestFileError && e.code === "EMBEDDING_FAILED" && e.file === "docs/file-000.md",
      );
      // The batch transaction runs every write's hook, so the 4th may embed too; none is sent.
      assert.ok(embedder.batches >= 3, `the 3rd embedding ran and failed (${embedder.batches} ran)`);
      await assertUnchanged(before);
    } finally {
      await base.document.deleteMany({ where: { label } });
      await base.$disconnect();
    }
  });
});

/** How the ingest's database is stopped and started again. */
interface Crashable {
  readonly url: string;
  /** Kills the server at once: no shutdown, no checkpoint. */
  crash(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** `prisma-hybrid-store db` on a data directory, as a user runs it in another terminal. */
async function embeddedServer(dataDir: string, maxConnections = 8): Promise<Crashable> {
  let db: DbCli;
  const start = async () => {
    db = await startDbCli(["--data-dir", dataDir, "--port", "0", "--max-connections", String(maxConnections)]);
  };
  await start();
  const server: Crashable = {
    get url() {
      return db.url;
    },
    async crash() {
      db.child.kill("SIGKILL");
      await db.exited;
    },
    restart: start,
    async stop() {
      db.child.kill("SIGINT");
      assert.equal(await db.exited, 0, "db stops cleanly");
    },
  };
  return server;
}

const serverSkip = (): string | false => (target() === "server" ? serverControlProblem() : false);

/** The test's own PostgreSQL server, crashed and restarted with pg_ctl. */
function nativeServer(): Crashable {
  return { url: databaseUrl(), crash: crashServer, restart: restartServer, stop: async () => {} };
}

async function countDocuments(url: string, label: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Document" WHERE label = $1`, [
      label,
    ]);
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe("(b) the database server stops in the middle of an ingest", { skip: serverSkip() }, () => {
  /** The ingest that was running when the server died, for the second test. */
  let interrupted: CliRun | undefined;

  // On the server this complements server-crash.test.ts (acknowledged writes survive a crash):
  // here the same CLI ingest is run again after the restart and must complete the corpus.
  test("after a restart, running the ingest again leaves every file's document and chunks exactly once, embedded", {
    timeout: 600_000,
  }, async () => {
    const files = 40;
    const dir = corpus(files, 10);
    const label = uniqueLabel("fault-b");
    const server = target() === "server" ? nativeServer() : await embeddedServer(join(tempDir(), "pgdata"));
    // `db --port 0` may come back on another port: read the URL at each run.
    const env = () => ({ DATABASE_URL: server.url });
    const args = ["ingest", "docs", "--label", label, "--chunk-size", "200", "--overlap", "0", "--batch-size", "2"];
    let crashed = false;
    try {
      if (target() === "pglite") {
        const migrate = await runCli(["migrate"], { env: env() });
        assert.equal(migrate.code, 0, migrate.stderr);
      }
      // Every file has more chunks than --batch-size, so each is its own transaction of several
      // statements; the server is killed as soon as the first file is committed.
      const first = runCli(args, { env: env(), cwd: dir, timeoutMs: 300_000 });
      let done = false;
      void first.finally(() => {
        done = true;
      });
      while (!done && (await countDocuments(server.url, label).catch(() => 0)) === 0) await sleep(25);
      await server.crash();
      crashed = true;
      interrupted = await first;
      assert.ok(
        interrupted.code !== null && interrupted.code !== 0,
        `the interrupted ingest ends, and fails (exit ${interrupted.code}; stderr: ${interrupted.stderr})`,
      );

      await server.restart();
      crashed = false;
      const resumed = await runCli(args, { env: env(), cwd: dir, timeoutMs: 300_000 });
      assert.equal(resumed.code, 0, resumed.stderr);
      const summary = /(\d+) file\(s\): (\d+) new, (\d+) changed, (\d+) unchanged/.exec(resumed.stdout);
      assert.ok(summary, resumed.stdout);
      const [, total, fresh, changed, unchanged] = summary.map(Number);
      assert.equal(total, files);
      assert.equal(changed, 0, "no file was half-written, so none looks changed");
      assert.ok(unchanged! >= 1 && fresh! >= 1, `the first run stored some files (${unchanged}), the second the rest`);

      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        const { rows: docs } = await client.query<{ id: string; source: string; content: string; ok: boolean }>(
          `SELECT id, source, content,
                  embedding IS NOT NULL AND "embeddingPayload" IS NULL AND "contentHash" = md5(content) AS ok
             FROM "Document" WHERE label = $1 ORDER BY source`,
          [label],
        );
        const sources = docs.map((d) => d.source);
        assert.deepEqual(
          sources,
          Array.from({ length: files }, (_, f) => `docs/file-${String(f).padStart(3, "0")}.md`),
          "every file exactly once",
        );
        for (const doc of docs) {
          assert.ok(doc.ok, `${doc.source}: document with its vector and hash`);
          assert.equal(doc.content, readFileSync(join(dir, doc.source), "utf8"));
          const { rows: chunks } = await client.query<{ position: number; embedded: boolean }>(
            `SELECT position, embedding IS NOT NULL AND "embeddingPayload" IS NULL AS embedded
               FROM "Annotation" WHERE "documentId" = $1 ORDER BY position`,
            [doc.id],
          );
          const expected = chunkSpans(doc.content, { maxChars: 200, overlap: 0 }).length;
          assert.deepEqual(
            chunks.map((c) => c.position),
            Array.from({ length: expected }, (_, i) => i),
            `${doc.source}: each of its ${expected} chunks exactly once`,
          );
          assert.ok(
            chunks.every((c) => c.embedded),
            `${doc.source}: every chunk has its vector`,
          );
        }
        await client.query(`DELETE FROM "Document" WHERE label = $1`, [label]);
      } finally {
        await client.end();
      }
    } finally {
      if (crashed) await server.restart().catch(() => {});
      await server.stop();
    }
  });

  test("the interrupted ingest says why: exit 1 and one line naming the database", () => {
    assert.ok(interrupted, "the first test ran the interrupted ingest");
    assert.equal(interrupted.code, 1, `exit code (stderr: ${interrupted.stderr})`);
    assert.equal(errorLines(interrupted).length, 1, interrupted.stderr);
    assert.match(errorLines(interrupted)[0]!, /database|connection/i);
  });
});

describe("(c) concurrent writers", () => {
  // The full 8 x 500 on both targets. On PGlite every statement runs on its one backend, so the
  // writers' statements queue there; they still interleave between statements and transactions.
  const writers = 8;
  const perWriter = 500;

  test(`${writers} writers x ${perWriter} documents (create, createMany, batch $transaction, upsert): all present once, all embedded`, {
    timeout: 900_000,
  }, async () => {
    const label = uniqueLabel("fault-c");
    const base = createPrisma({ max: target() === "server" ? 8 : 6 });
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const text = (w: number, i: number) => `writer ${w} wrote document ${i} about the rent of flat ${w * 1000 + i}`;
    const before = await snapshot();
    try {
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          const docs = Array.from({ length: perWriter }, (_, i) => ({ content: text(w, i), label }));
          switch (w % 4) {
            case 0:
              for (const data of docs) await prisma.document.create({ data, select: { id: true } });
              break;
            case 1:
              for (let i = 0; i < docs.length; i += 25)
                await prisma.document.createMany({ data: docs.slice(i, i + 25) });
              break;
            case 2:
              for (let i = 0; i < docs.length; i += 10) {
                await prisma.$transaction(
                  docs.slice(i, i + 10).map((data) => prisma.document.create({ data, select: { id: true } })),
                );
              }
              break;
            default:
              for (const data of docs) {
                await prisma.document.upsert({
                  where: { id: randomUUID() },
                  create: data,
                  update: {},
                  select: { id: true },
                });
              }
          }
        }),
      );
    } finally {
      await base.$disconnect();
    }
    await withPg(async (client) => {
      const { rows } = await client.query<{ content: string; ok: boolean; n: number }>(
        `SELECT content, count(*)::int AS n,
                bool_and(embedding IS NOT NULL AND "embeddingPayload" IS NULL AND "embeddingModel" = $2
                         AND "contentHash" = md5(content)) AS ok
           FROM "Document" WHERE label = $1 GROUP BY content`,
        [label, tinyEmbedder().modelId],
      );
      const found = new Map(rows.map((r) => [r.content, r]));
      const expected = Array.from({ length: writers * perWriter }, (_, k) =>
        text(Math.floor(k / perWriter), k % perWriter),
      );
      assert.equal(rows.length, expected.length, "as many distinct documents as were written, no others");
      for (const content of expected) {
        const row = found.get(content);
        assert.ok(row, `missing: ${content}`);
        assert.equal(row.n, 1, `written more than once: ${content}`);
        assert.ok(row.ok, `without its vector, model or hash: ${content}`);
      }
      await client.query(`DELETE FROM "Document" WHERE label = $1`, [label]);
    });
    await assertUnchanged(before, "nothing but the writers' documents changed");
  });
});

describe("(d) no free connection", () => {
  // Safety nets, not measurements: if the library hung, these would end the test.
  const SAFETY_MS = 120_000;

  test("every pooled connection busy in a transaction: writes and searches wait for one, then succeed", {
    timeout: 300_000,
  }, async () => {
    const label = uniqueLabel("fault-d");
    // A pool of 2. A server gives each transaction its own backend, so both connections are held;
    // PGlite has one backend, and while one transaction is open every other statement queues.
    const holders = target() === "server" ? 2 : 1;
    const base = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl(), max: 2 }) });
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const ready: Promise<void>[] = [];
      const held = Array.from({ length: holders }, () => {
        let holding!: () => void;
        ready.push(
          new Promise<void>((resolve) => {
            holding = resolve;
          }),
        );
        return base.$transaction(
          async (tx) => {
            await tx.$queryRawUnsafe("SELECT 1");
            holding();
            await gate;
          },
          { maxWait: SAFETY_MS, timeout: SAFETY_MS },
        );
      });
      await ready[0];
      await Promise.all(ready);

      let released = false;
      const finishedWhileHeld: string[] = [];
      const waiting = {
        create: prisma.document.create({ data: { content: "written while the pool was busy", label } }),
        similaritySearch: prisma.document.similaritySearch({ query: "busy pool", where: { label }, take: 1 }),
        textSearch: prisma.document.textSearch({ query: "busy pool", take: 1 }),
      };
      const settled = Promise.allSettled(
        Object.entries(waiting).map(([name, p]) =>
          p.finally(() => {
            if (!released) finishedWhileHeld.push(name);
          }),
        ),
      );
      // Give the calls time to reach the pool; whatever the time, none can finish before release.
      await sleep(500);
      released = true;
      release();
      const outcome = await within(Promise.all([settled, ...held]), SAFETY_MS);
      assert.notEqual(outcome, "timed out", "the waiting calls never finished");
      const [results] = outcome as [PromiseSettledResult<unknown>[], ...unknown[]];
      assert.deepEqual(finishedWhileHeld, [], "nothing ran while every connection was held");
      for (const [i, r] of results.entries()) {
        assert.equal(r.status, "fulfilled", `${Object.keys(waiting)[i]}: ${r.status === "rejected" ? r.reason : ""}`);
      }
      assert.equal(await base.document.count({ where: { label } }), 1);
    } finally {
      release();
      await base.document.deleteMany({ where: { label } });
      await base.$disconnect();
    }
  });

  test("a server with no connection slot left: DatabaseUnavailableError for writes and searches, not a hang", {
    timeout: 300_000,
  }, async () => {
    // A server: a role allowed one connection, and it is taken. PGlite: `db --max-connections 1`
    // with its one socket taken.
    let url: string;
    let cleanup: () => Promise<void>;
    if (target() === "server") {
      const role = `phs_limited_${randomUUID().slice(0, 8)}`;
      await withPg((c) => c.query(`CREATE ROLE "${role}" LOGIN PASSWORD 'limited' CONNECTION LIMIT 1`));
      const u = new URL(databaseUrl());
      u.username = role;
      u.password = "limited";
      url = u.toString();
      cleanup = () => withPg(async (c) => void (await c.query(`DROP ROLE IF EXISTS "${role}"`)));
    } else {
      const server = await embeddedServer(join(tempDir(), "pgdata"), 1);
      url = server.url;
      cleanup = () => server.stop();
    }
    const occupant = new pg.Client({ connectionString: url });
    await occupant.connect();
    const base = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 2 }) });
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    try {
      for (const [name, call] of [
        ["create", () => prisma.document.create({ data: { content: "no slot for me" } })],
        ["similaritySearch", () => prisma.document.similaritySearch({ query: "no slot", take: 1 })],
        ["textSearch", () => prisma.annotation.textSearch({ query: "no slot", take: 1 })],
      ] as const) {
        const outcome = await within(
          call().then(
            () => "succeeded",
            (e: unknown) => e,
          ),
          SAFETY_MS,
        );
        assert.notEqual(outcome, "timed out", `${name} hung`);
        assert.ok(
          outcome instanceof DatabaseUnavailableError && outcome.code === "DATABASE_UNAVAILABLE",
          `${name}: expected DatabaseUnavailableError, got ${outcome instanceof HybridStoreError ? outcome.code : String(outcome)}`,
        );
      }
    } finally {
      await within(base.$disconnect(), 10_000);
      await occupant.end();
      await cleanup();
    }
  });
});
