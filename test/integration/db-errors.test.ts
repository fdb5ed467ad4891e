import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { PrismaPg } from "@prisma/adapter-pg";
import { createScratchDatabase } from "../../scripts/scratch-database.ts";
import {
  checkDatabase,
  describeMigrationFailure,
  MigrationFailedError,
  MigrationsPendingError,
} from "../../src/db/check.ts";
import { startEmbeddedDatabase } from "../../src/db/embedded.ts";
import { DatabaseUnavailableError, ExtensionMissingError } from "../../src/errors.ts";
import { hybridStore } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { bundledMigrations, createPrisma, databaseUrl, target } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const BUNDLED = bundledMigrations();

/** A port nothing listens on: the OS hands it out, and we close it again at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

const clientFor = (url: string) => new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 2 }) });

/** What a user sees: a typed error whose message says what to do, not a driver stack. */
function isUnavailable() {
  return (error: unknown) => {
    assert.ok(error instanceof DatabaseUnavailableError, `expected DatabaseUnavailableError, got ${String(error)}`);
    assert.equal(error.code, "DATABASE_UNAVAILABLE");
    assert.match(error.message, /DATABASE_URL/);
    assert.match(error.message, /[Ss]tart it/);
    assert.doesNotMatch(error.message, /\n\s+at /, "no stack trace in the message");
    assert.ok(error.message.length < 400, error.message);
    return true;
  };
}

describe("an unreachable database", () => {
  let port: number;
  let url: string;
  before(async () => {
    port = await closedPort();
    url = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
  });

  test("a write through hybridStore throws DatabaseUnavailableError", async () => {
    const base = clientFor(url);
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    try {
      await assert.rejects(prisma.document.create({ data: { content: "a cat on a mat" } }), isUnavailable());
    } finally {
      await base.$disconnect();
    }
  });

  test("a search through hybridStore throws DatabaseUnavailableError", async () => {
    const base = clientFor(url);
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    try {
      await assert.rejects(prisma.document.similaritySearch({ query: "cats", take: 3 }), isUnavailable());
    } finally {
      await base.$disconnect();
    }
  });

  test("checkDatabase says where it looked and what to do", async () => {
    const prisma = clientFor(url);
    try {
      await assert.rejects(checkDatabase(prisma), (error: unknown) => {
        isUnavailable()(error);
        assert.match((error as Error).message, new RegExp(`at 127\\.0\\.0\\.1:${port}\\b`));
        return true;
      });
    } finally {
      await prisma.$disconnect();
    }
  });

  test("describeMigrationFailure explains `prisma migrate deploy` failing to connect", async () => {
    const output = await migrateDeploy(url);
    assert.notEqual(output.code, 0);
    assert.equal(
      describeMigrationFailure(output.text),
      `Cannot reach the database server at 127.0.0.1:${port}: start it (the embedded one: \`npx prisma-hybrid-store db\`), or fix DATABASE_URL.`,
    );
  });
});

describe("checkDatabase", () => {
  const prisma = createPrisma();
  after(() => prisma.$disconnect());

  test("passes on the migrated test database", async () => {
    const report = await checkDatabase(prisma);
    assert.match(report.pgvectorVersion, /^0\.8\./);
    assert.match(report.serverVersion, /^\d+/);
    assert.equal(report.database, new URL(databaseUrl()).pathname.slice(1));
    assert.deepEqual(report.appliedMigrations, BUNDLED);
    assert.deepEqual(report.warnings, []);
  });

  test("reports the missing migrations of a fresh, empty database", async () => {
    const fresh = await freshDatabase();
    const client = clientFor(fresh.url);
    try {
      await assert.rejects(checkDatabase(client), (error: unknown) => {
        assert.ok(error instanceof MigrationsPendingError, String(error));
        assert.equal(error.code, "SCHEMA_MISMATCH");
        assert.deepEqual(error.missing, ['extension "vector"', 'table "Document"', 'table "Annotation"']);
        assert.match(error.message, /npx prisma migrate deploy/);
        return true;
      });
    } finally {
      await client.$disconnect();
      await fresh.drop();
    }
  });

  test("says to install pgvector, or use the embedded database, on a server without it", async () => {
    // PGlite without the vector extension is a real PostgreSQL server on which pgvector is not installed.
    const db = await PGlite.create();
    const port = await closedPort();
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 1 });
    await server.start();
    const client = clientFor(`postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`);
    try {
      await assert.rejects(checkDatabase(client), (error: unknown) => {
        assert.ok(error instanceof ExtensionMissingError, String(error));
        assert.equal(error.code, "EXTENSION_MISSING");
        assert.match(error.message, /server has no pgvector extension\. Install pgvector on the server/);
        assert.match(error.message, /or use the embedded database/);
        return true;
      });
    } finally {
      await client.$disconnect();
      await server.stop();
      await db.close();
    }
  });

  test("names a missing trigger, and warns about a missing vector index", async () => {
    const missingTrigger = await inRolledBackTransaction(prisma, async (tx) => {
      await tx.$executeRawUnsafe(`DROP TRIGGER "Annotation_before_write" ON "Annotation"`);
      await tx.$executeRawUnsafe(`ALTER TABLE "Document" DROP COLUMN "searchVector"`);
      return checkDatabase(tx).catch((error: unknown) => error);
    });
    assert.ok(missingTrigger instanceof MigrationsPendingError, String(missingTrigger));
    assert.deepEqual(missingTrigger.missing, [
      'column "Document"."searchVector"',
      'write-path trigger on "Annotation" ("embeddingPayload" -> "embedding")',
    ]);
    assert.match(missingTrigger.message, /npx prisma-hybrid-store generate.*then `npx prisma migrate deploy`/);

    const report = await inRolledBackTransaction(prisma, async (tx) => {
      await tx.$executeRawUnsafe(`DROP INDEX "Annotation_embedding_hnsw_idx"`);
      return checkDatabase(tx);
    });
    assert.equal(report.warnings.length, 1);
    assert.match(
      report.warnings[0]!,
      /Index "Annotation_embedding_hnsw_idx" is missing: similarity searches on "Annotation" scan/,
    );
    assert.deepEqual((await checkDatabase(prisma)).warnings, [], "rolled back");
  });

  test("reports a migration that failed part-way, with the command that resolves it", async () => {
    const failed = await inRolledBackTransaction(prisma, async (tx) => {
      await tx.$executeRawUnsafe(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
         VALUES ('test-failed', 'x', '20270101000000_broken', now(), 0)`,
      );
      return checkDatabase(tx).catch((error: unknown) => error);
    });
    assert.ok(failed instanceof MigrationFailedError, String(failed));
    assert.equal(failed.code, "MIGRATION_FAILED");
    assert.equal(failed.migration, "20270101000000_broken");
    assert.match(failed.message, /npx prisma migrate resolve --rolled-back 20270101000000_broken/);
  });
});

describe("describeMigrationFailure", () => {
  // Excerpts of real `prisma migrate deploy` output (Prisma 6.19, driver adapter pg).
  test("recognizes a role that may not create the extension", () => {
    const output = [
      "Error: external connector error",
      'Error querying the database: ERROR: permission denied to create extension "vector"',
      "HINT: Must be superuser to create this extension.",
      "   0: sql_schema_connector::apply_migration::apply_script",
      '           with migration_name="20261125000000_enable_pgvector"',
    ].join("\n");
    assert.equal(
      describeMigrationFailure(output),
      "Your database role may not create the pgvector extension: ask your database administrator to run " +
        "`CREATE EXTENSION IF NOT EXISTS vector;` in this database as a superuser, then run " +
        "`npx prisma migrate resolve --rolled-back 20261125000000_enable_pgvector` and `npx prisma migrate deploy` again.",
    );
  });

  test("recognizes a server without pgvector", () => {
    const output = [
      'Error querying the database: ERROR: extension "vector" is not available',
      'DETAIL: Could not open extension control file "/usr/share/postgresql/15/extension/vector.control": No such file or directory.',
      "HINT: The extension must first be installed on the system where PostgreSQL is running.",
      '           with migration_name="20261125000000_enable_pgvector"',
    ].join("\n");
    const hint = describeMigrationFailure(output);
    assert.match(
      hint ?? "",
      /^This PostgreSQL server has no pgvector: install it on the server .* or use the embedded database/,
    );
    assert.doesNotMatch(hint ?? "", /\n/);
  });

  test("recognizes a missing database, a refused login and an earlier failed migration", () => {
    assert.match(
      describeMigrationFailure("Error: Database `nodb` does not exist") ?? "",
      /database "nodb" does not exist/,
    );
    assert.match(
      describeMigrationFailure("Error: User was denied access on the database `(not available)`") ?? "",
      /check the user name and password/,
    );
    const p3009 =
      "Error: P3009\n\nmigrate found failed migrations in the target database, new migrations will not be applied.\n" +
      "The `20261125000000_enable_pgvector` migration started at 2026-11-25 14:25:35.399 UTC failed";
    assert.match(describeMigrationFailure(p3009) ?? "", /--rolled-back 20261125000000_enable_pgvector/);
  });

  test("returns undefined for anything else", () => {
    assert.equal(describeMigrationFailure("No pending migrations to apply."), undefined);
    assert.equal(describeMigrationFailure(""), undefined);
  });
});

/** An empty database next to the test database: a second embedded one, or a new one on the server. */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (target() === "server") return createScratchDatabase(databaseUrl());
  const db = await startEmbeddedDatabase({ dataDir: "memory", handleSignals: false });
  return { url: db.url, drop: () => db.stop() };
}

class Rollback extends Error {}

/** Runs `fn` in a transaction that is always rolled back, and returns what it returned. */
async function inRolledBackTransaction<T>(
  prisma: PrismaClient,
  fn: (tx: Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0]) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  await prisma
    .$transaction(async (tx) => {
      result = await fn(tx);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return result as T;
}

function migrateDeploy(url: string): Promise<{ code: number; text: string }> {
  return new Promise((resolve) => {
    const child = spawn("npx", ["prisma", "migrate", "deploy"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url },
    });
    let text = "";
    child.stdout.on("data", (d: Buffer) => {
      text += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      text += d.toString();
    });
    child.on("close", (code) => resolve({ code: code ?? 1, text }));
  });
}
