import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../../src/db/embedded.ts";
import { DatabaseUnavailableError } from "../../src/errors.ts";
import { databaseUrl, withPg } from "../helpers/db.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const temp = mkdtempSync(join(tmpdir(), "phs-embedded-test-"));
const started: EmbeddedDatabase[] = [];
after(async () => {
  for (const db of started) await db.stop();
  rmSync(temp, { recursive: true, force: true });
});

async function start(dataDir: string, port = 0): Promise<EmbeddedDatabase> {
  const db = await startEmbeddedDatabase({ dataDir, port, handleSignals: false });
  started.push(db);
  return db;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe("the embedded database", () => {
  test("keeps what was written before stop() after a restart on the same data directory", async () => {
    const dataDir = join(temp, "restart");
    const first = await start(dataDir);
    await query(first.url, "CREATE EXTENSION IF NOT EXISTS vector");
    await query(first.url, "CREATE TABLE kept (id int PRIMARY KEY, body text, v vector(3))");
    await query(first.url, "INSERT INTO kept VALUES (1, 'one', '[1,0,0]'), (2, 'two', '[0,1,0]')");
    await first.stop();
    await assert.rejects(query(first.url, "select 1"), "stopped: nothing listens any more");

    const second = await start(dataDir);
    assert.equal(second.dataDir, dataDir);
    const rows = await query<{ id: number; body: string; v: string }>(
      second.url,
      "SELECT id, body, v::text FROM kept ORDER BY id",
    );
    assert.deepEqual(rows, [
      { id: 1, body: "one", v: "[1,0,0]" },
      { id: 2, body: "two", v: "[0,1,0]" },
    ]);
    await second.stop();
  });

  test("port 0 picks a free port, and the URL says which", async () => {
    const db = await start("memory");
    assert.ok(db.port > 0, `port ${db.port}`);
    assert.equal(new URL(db.url).port, String(db.port));
    assert.notEqual(String(db.port), new URL(databaseUrl()).port, "not the port of the test database");
    assert.deepEqual(await query(db.url, "select 1 as ok"), [{ ok: 1 }]);
    await db.stop();
  });

  test("a port already in use fails with DatabaseUnavailableError, and frees the data directory", async () => {
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, "127.0.0.1", done));
    const { port } = busy.address() as { port: number };
    const dataDir = join(temp, "busy-port");
    try {
      await assert.rejects(startEmbeddedDatabase({ dataDir, port, handleSignals: false }), (error: unknown) => {
        assert.ok(error instanceof DatabaseUnavailableError, String(error));
        assert.match(error.message, new RegExp(`Could not listen on 127\\.0\\.0\\.1:${port}`));
        return true;
      });
      assert.equal(existsSync(dataDir), false, "found before the data directory is made");
    } finally {
      await new Promise((done) => busy.close(done));
    }
    const db = await start(dataDir);
    assert.deepEqual(await query(db.url, "select 1 as ok"), [{ ok: 1 }]);
    await db.stop();
  });

  test("a second start on a data directory in use fails with a typed error", async () => {
    const dataDir = join(temp, "twice");
    const first = await start(dataDir);
    await query(first.url, "CREATE TABLE t (x int)");
    await assert.rejects(start(dataDir), (error: unknown) => {
      assert.ok(error instanceof DatabaseUnavailableError, String(error));
      assert.match(error.message, /another process/);
      return true;
    });
  });
});

describe("prisma migrate deploy on the test database", () => {
  test("a second run changes nothing", { timeout: 120_000 }, async () => {
    const before = await catalogState();
    const run = await migrateDeploy();
    assert.equal(run.code, 0, run.text);
    assert.match(run.text, /No pending migrations to apply/);
    assert.deepEqual(await catalogState(), before);
  });
});

/**
 * The applied migrations, and a checksum of every table, column, index, constraint, trigger and
 * function definition in the test database: any change a migration makes shows up here.
 */
function catalogState() {
  return withPg(async (client) => {
    const migrations = await client.query(
      `SELECT count(*)::int AS n, md5(string_agg(migration_name || checksum, ',' ORDER BY migration_name)) AS sum
       FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const catalog = await client.query(`
      SELECT count(*)::int AS n, md5(string_agg(def, E'\\n' ORDER BY def)) AS sum FROM (
        SELECT format('column %I.%I %s notnull=%s default=%s generated=%s', c.relname, a.attname,
                      format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attgenerated) AS def
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
           AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
         WHERE c.relnamespace = current_schema()::regnamespace
        UNION ALL
        SELECT format('constraint %s %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint
         WHERE connamespace = current_schema()::regnamespace
        UNION ALL
        SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
        UNION ALL
        SELECT format('function %s(%s) %s', proname, pg_get_function_identity_arguments(oid), md5(prosrc))
          FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
        UNION ALL
        SELECT format('extension %s %s', extname, extversion) FROM pg_extension
      ) defs`);
    return { migrations: migrations.rows[0], catalog: catalog.rows[0] };
  });
}

function migrateDeploy(): Promise<{ code: number; text: string }> {
  return new Promise((resolve) => {
    const child = spawn("npx", ["prisma", "migrate", "deploy"], { cwd: root, env: process.env });
    let text = "";
    const collect = (d: Buffer) => {
      text += d.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("close", (code) => resolve({ code: code ?? 1, text }));
  });
}
