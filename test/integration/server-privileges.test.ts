import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { checkDatabase, describeMigrationFailure } from "../../src/db/check.ts";
import { ExtensionMissingError } from "../../src/errors.ts";
import { hybridStore } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { bundledMigrations, databaseUrl, target } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";

const skip =
  target() === "server" ? false : "needs a real PostgreSQL server: set TEST_DATABASE_URL (docs/postgres-server.md)";
const root = fileURLToPath(new URL("../..", import.meta.url));
const FIRST_MIGRATION = "20261125000000_enable_pgvector";

/** Runs SQL as the test database's (superuser) role, in `database` when given. */
async function admin(sql: string, database?: string): Promise<pg.QueryResultRow[]> {
  const url = new URL(databaseUrl());
  if (database) url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

function prismaCli(args: string[], url: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("npx", ["prisma", ...args], { cwd: root, env: { ...process.env, DATABASE_URL: url } });
    let output = "";
    const collect = (d: Buffer) => {
      output += d.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

async function withClient<T>(url: string, fn: (client: PrismaClient) => Promise<T>): Promise<T> {
  const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 2 }) });
  try {
    return await fn(client);
  } finally {
    await client.$disconnect();
  }
}

describe("on a PostgreSQL server: a role that may not create extensions", { skip }, () => {
  const suffix = randomBytes(3).toString("hex");
  const role = `phs_app_${suffix}`;
  const database = `phs_app_db_${suffix}`;
  let roleUrl: string;

  before(async () => {
    await admin(`CREATE ROLE "${role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'app-password'`);
    await admin(`CREATE DATABASE "${database}" OWNER "${role}"`);
    const url = new URL(databaseUrl());
    url.username = role;
    url.password = "app-password";
    url.pathname = `/${database}`;
    roleUrl = url.toString();
  });
  after(async () => {
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin(`DROP ROLE IF EXISTS "${role}"`);
  });

  test("migrate deploy fails, and describeMigrationFailure says to ask the DBA", { timeout: 120_000 }, async () => {
    assert.deepEqual(await admin("SELECT extname FROM pg_extension WHERE extname = 'vector'", database), []);
    const run = await prismaCli(["migrate", "deploy"], roleUrl);
    assert.notEqual(run.code, 0, run.output);
    assert.match(run.output, /permission denied to create extension "vector"/);
    assert.equal(
      describeMigrationFailure(run.output),
      "Your database role may not create the pgvector extension: ask your database administrator to run " +
        "`CREATE EXTENSION IF NOT EXISTS vector;` in this database as a superuser, then run " +
        `\`npx prisma migrate resolve --rolled-back ${FIRST_MIGRATION}\` and \`npx prisma migrate deploy\` again.`,
    );
  });

  test("checkDatabase gives the same advice", async () => {
    await withClient(roleUrl, async (client) => {
      await assert.rejects(checkDatabase(client), (error: unknown) => {
        assert.ok(error instanceof ExtensionMissingError, String(error));
        assert.equal(error.code, "EXTENSION_MISSING");
        assert.match(error.message, new RegExp(`role "${role}" may not create extensions`));
        assert.match(error.message, /Ask your database administrator to run `CREATE EXTENSION IF NOT EXISTS vector;`/);
        assert.match(error.message, new RegExp(`--rolled-back ${FIRST_MIGRATION}`));
        return true;
      });
    });
  });

  test("following the advice works: the DBA creates the extension, the role migrates and writes", {
    timeout: 180_000,
  }, async () => {
    await admin("CREATE EXTENSION IF NOT EXISTS vector", database);
    // What `prisma migrate resolve --rolled-back` records. The command itself needs Prisma's native
    // schema engine, which cannot be downloaded here (`migrate deploy` runs on the WASM one).
    await admin(
      `UPDATE "_prisma_migrations" SET rolled_back_at = now()
       WHERE migration_name = '${FIRST_MIGRATION}' AND finished_at IS NULL`,
      database,
    );
    const deployed = await prismaCli(["migrate", "deploy"], roleUrl);
    assert.equal(deployed.code, 0, deployed.output);

    await withClient(roleUrl, async (client) => {
      const report = await checkDatabase(client);
      assert.equal(report.user, role);
      assert.deepEqual(report.appliedMigrations, bundledMigrations());
      const prisma = client.$extends(hybridStore({ embedder: tinyEmbedder() }));
      const doc = await prisma.document.create({ data: { content: "written by an application role" } });
      const [row] = await client.$queryRaw<{ embedded: boolean }[]>`
        SELECT embedding IS NOT NULL AS embedded FROM "Document" WHERE id = ${doc.id}`;
      assert.equal(row?.embedded, true);
    });
  });
});
