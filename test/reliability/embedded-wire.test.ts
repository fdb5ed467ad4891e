/**
 * Issue #17 items 1-4: the embedded server against hostile or unusual clients, on the wire
 * (node:net) and through `pg`. These start their own in-memory embedded database: the embedded
 * server is what they test, so they run the same whatever TEST_DATABASE_URL names (a PostgreSQL
 * server has none of these problems to test).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import pg from "pg";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../../src/db/embedded.ts";
import { within } from "../helpers/time.ts";
import { bind, execute, type Message, message, parse, query, rows, sync, Wire } from "../helpers/wire.ts";

const SAFETY_MS = 60_000;
const settle = <T>(p: Promise<T>) =>
  within(p, SAFETY_MS).then((r) => {
    assert.notEqual(r, "timed out", "the server stopped answering");
    return r as T;
  });

/** SQLSTATE and message of the first ErrorResponse among `messages`. */
function errorOf(messages: readonly Message[]): { code: string; message: string; severity: string } | null {
  const e = messages.find((m) => m.type === "E");
  if (!e) return null;
  const fields = new Map(
    e.body
      .toString()
      .split("\0")
      .filter(Boolean)
      .map((f) => [f[0], f.slice(1)]),
  );
  return { code: fields.get("C") ?? "", message: fields.get("M") ?? "", severity: fields.get("S") ?? "" };
}

const UNIT = 1024 * 1024;
let db: EmbeddedDatabase;
before(async () => {
  db = await startEmbeddedDatabase({
    dataDir: "memory",
    maxConnections: 20,
    handleSignals: false,
    maxBufferedOutput: 16 * UNIT,
    maintenanceIntervalMs: 0,
  });
});
after(() => db.stop());

async function served(wire: Wire, sql = "SELECT 'ok'"): Promise<string[][]> {
  wire.send(query(sql));
  return rows(await settle(wire.until("Z")));
}

describe("protocol errors are answered as PostgreSQL does (item 1)", () => {
  for (const [name, bytes] of [
    ["an unknown message type", Buffer.from("59000000096a756e6b00", "hex")],
    ["type A (a backend message)", message("A", "x")],
    ["an unsolicited password message", message("p", "secret")],
    ["a negative length", Buffer.from("51ffffffff", "hex")],
  ] as const) {
    test(`${name}: FATAL 08P01, that connection closes, the others go on`, async () => {
      const other = await Wire.open(db.url);
      const bad = await Wire.open(db.url);
      try {
        other.send(query("BEGIN"));
        await settle(other.until("Z"));
        bad.send(bytes);
        const answer = await settle(bad.until("E"));
        assert.deepEqual(
          { code: errorOf(answer)?.code, severity: errorOf(answer)?.severity },
          { code: "08P01", severity: "FATAL" },
        );
        await settle(bad.untilClosed());
        assert.deepEqual(await served(other, "SELECT 'still' ; COMMIT"), [["still"]]);
        const fresh = await Wire.open(db.url);
        assert.deepEqual(await served(fresh), [["ok"]]);
        fresh.close();
      } finally {
        other.close();
        bad.close();
      }
    });
  }
});

describe("COPY (item 2)", () => {
  test("COPY FROM STDIN and TO STDOUT work, with another client active, and leave the server healthy", async () => {
    const a = await Wire.open(db.url);
    const b = await Wire.open(db.url);
    try {
      await served(a, "CREATE TABLE copied (n int, s text)");
      a.send(query("COPY copied (n, s) FROM STDIN"));
      await settle(a.until("G"));
      a.send(message("d", Buffer.from("1\tone\n2\ttwo\n")), message("d", Buffer.from("3\tthree\n")));
      b.send(query("SELECT 'b waits for the copy'"));
      a.send(message("c"));
      const done = await settle(a.until("Z"));
      assert.equal(errorOf(done), null);
      assert.ok(done.some((m) => m.type === "C" && m.body.toString().startsWith("COPY 3")));
      assert.deepEqual(rows(await settle(b.until("Z"))), [["b waits for the copy"]]);
      a.send(query("COPY (SELECT n, s FROM copied ORDER BY n) TO STDOUT"));
      const out = await settle(a.until("Z"));
      const data = out.filter((m) => m.type === "d").map((m) => m.body.toString());
      assert.equal(data.join(""), "1\tone\n2\ttwo\n3\tthree\n");
      // CopyFail: nothing is written, the connection goes on.
      a.send(query("COPY copied FROM STDIN"));
      await settle(a.until("G"));
      a.send(message("d", Buffer.from("4\tfour\n")), message("f", "client gave up"));
      assert.equal(errorOf(await settle(a.until("Z")))?.code, "57014");
      assert.deepEqual(await served(b, "SELECT count(*)::text FROM copied"), [["3"]]);
    } finally {
      a.close();
      b.close();
    }
  });

  test("psql \\copy from a file works and later connections are fine", async () => {
    const file = join(tmpdir(), `h17-copy-${process.pid}.txt`);
    writeFileSync(file, "10\tten\n11\televen\n");
    const other = await Wire.open(db.url);
    try {
      await served(other, "CREATE TABLE IF NOT EXISTS psql_copied (n int, s text)");
      const run = promisify(execFile);
      const psql = (sql: string) => run("psql", [db.url.replace("?sslmode=disable", ""), "-XAtc", sql]);
      const copied = await settle(psql(`\\copy psql_copied from '${file}'`).catch((e: Error) => e));
      assert.ok(!(copied instanceof Error) || /ENOENT/.test(copied.message), String(copied));
      if (copied instanceof Error) return; // psql is not installed here
      assert.match(copied.stdout, /COPY 2/);
      assert.equal((await settle(psql("SELECT count(*) FROM psql_copied"))).stdout.trim(), "2");
      assert.deepEqual(await served(other), [["ok"]]);
    } finally {
      other.close();
    }
  });
});

describe("a client that does not read (item 3)", () => {
  test("is disconnected once its unread output passes the bound; the others keep being served", async () => {
    const { hostname, port } = new URL(db.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    socket.pause(); // never reads
    const params = Buffer.from("user\0postgres\0database\0postgres\0\0");
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196608, 4);
    socket.write(Buffer.concat([startup, params]));
    // 200 MB of rows against a 16 MB bound.
    socket.write(query("SELECT repeat('z', 1000000) FROM generate_series(1, 200)"));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const other = await Wire.open(db.url);
    try {
      assert.deepEqual(await served(other, "SELECT 'served'"), [["served"]]);
      socket.resume(); // drain what is left so the close is seen
      await settle(closed);
      assert.deepEqual(await served(other, "SELECT 'still served'"), [["still served"]]);
    } finally {
      other.close();
      socket.destroy();
    }
  });
});

describe("session state per connection (item 4)", () => {
  test("SET search_path on one connection leaves the others (and new ones) alone", async () => {
    const a = await Wire.open(db.url);
    const b = await Wire.open(db.url);
    try {
      const fresh = await served(b, "SHOW search_path");
      await served(a, "CREATE SCHEMA IF NOT EXISTS elsewhere; SET search_path = elsewhere");
      assert.deepEqual(await served(b, "SHOW search_path"), fresh);
      assert.deepEqual(await served(a, "SHOW search_path"), [["elsewhere"]]);
      const c = await Wire.open(db.url);
      assert.deepEqual(await served(c, "SHOW search_path"), fresh);
      await served(a, "RESET search_path");
      assert.deepEqual(await served(a, "SHOW search_path"), fresh);
      c.close();
    } finally {
      a.close();
      b.close();
    }
  });

  test("start-up options=-c ... apply to that connection only", async () => {
    const a = await Wire.open(db.url, { options: "-c search_path=from_options -c work_mem=8MB" });
    const b = await Wire.open(db.url);
    try {
      assert.deepEqual(await served(a, "SELECT current_setting('search_path'), current_setting('work_mem')"), [
        ["from_options", "8MB"],
      ]);
      assert.deepEqual(await served(b, "SHOW work_mem"), [["4MB"]]);
      assert.deepEqual(await served(a, "SHOW work_mem"), [["8MB"]]);
    } finally {
      a.close();
      b.close();
    }
  });

  test("a pg.Pool runs the named query { name: 'by-id' } from every connection", async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 8 });
    try {
      const results = await settle(
        Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            pool.query({ name: "by-id", text: "SELECT $1::int * 2 AS v", values: [i] }),
          ),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.rows[0]?.v),
        Array.from({ length: 40 }, (_, i) => i * 2),
      );
    } finally {
      await pool.end();
    }
  });

  test("a connection cannot run another's prepared statement", async () => {
    const a = await Wire.open(db.url);
    const b = await Wire.open(db.url);
    try {
      a.send(message("P", "mine", "SELECT 'a secret'", [0, 0]), sync());
      await settle(a.until("Z"));
      b.send(message("B", "", "mine", [0, 0], [0, 0], [0, 0]), execute(), sync());
      const answer = await settle(b.until("Z"));
      assert.equal(errorOf(answer)?.code, "26000");
      assert.deepEqual(
        answer.filter((m) => m.type === "D"),
        [],
      );
      b.send(message("P", "mine", "SELECT 'b own'", [0, 0]), message("B", "", "mine", [0, 0], [0, 0], [0, 0]));
      b.send(execute(), sync());
      assert.deepEqual(rows(await settle(b.until("Z"))), [["b own"]]);
      a.send(message("B", "", "mine", [0, 0], [0, 0], [0, 0]), execute(), sync());
      assert.deepEqual(rows(await settle(a.until("Z"))), [["a secret"]]);
    } finally {
      a.close();
      b.close();
    }
  });

  test("an advisory lock is never held by two connections at once", async () => {
    const a = await Wire.open(db.url);
    const b = await Wire.open(db.url);
    try {
      assert.deepEqual(await served(a, "SELECT pg_advisory_lock(17)::text"), [[""]]);
      const order: string[] = [];
      b.send(query("SELECT pg_try_advisory_lock(17)::text"));
      const bDone = b.until("Z").then((m) => {
        order.push("b");
        return m;
      });
      a.send(query("SELECT 'a still holds it'"));
      assert.deepEqual(rows(await settle(a.until("Z"))), [["a still holds it"]]);
      a.send(query("SELECT pg_advisory_unlock(17)::text"));
      await settle(a.until("Z"));
      order.push("a unlocked");
      assert.deepEqual(rows(await settle(bDone)), [["true"]]);
      assert.deepEqual(order, ["a unlocked", "b"]);
    } finally {
      a.close();
      b.close();
    }
    const c = await Wire.open(db.url);
    assert.deepEqual(await served(c, "SELECT count(*)::text FROM pg_locks WHERE locktype = 'advisory'"), [["0"]]);
    c.close();
  });

  test("temporary tables, LISTEN and SQL PREPARE get an ErrorResponse naming the feature", async () => {
    const a = await Wire.open(db.url);
    try {
      for (const [sql, feature] of [
        ["CREATE TEMP TABLE scratch (n int)", /temporary tables/],
        ["create temporary table scratch as select 1", /temporary tables/],
        ["LISTEN news", /LISTEN/],
        ["PREPARE p AS SELECT 1", /PREPARE/],
        ["DISCARD ALL", /DISCARD ALL/],
      ] as const) {
        a.send(query(sql));
        const e = errorOf(await settle(a.until("Z")));
        assert.equal(e?.code, "0A000", sql);
        assert.match(e?.message ?? "", feature);
      }
      // Extended protocol: the error, then everything up to Sync is skipped.
      a.send(parse("LISTEN news"), bind(), execute(), sync());
      assert.equal(errorOf(await settle(a.until("Z")))?.code, "0A000");
      // Inside a transaction the refusal fails the transaction, as an error would.
      a.send(query("BEGIN"));
      await settle(a.until("Z"));
      a.send(query("CREATE TEMP TABLE t (n int)"));
      const inTx = await settle(a.until("Z"));
      assert.equal(inTx.at(-1)?.body.toString(), "E");
      a.send(query("ROLLBACK"));
      await settle(a.until("Z"));
      // Not fooled by literals: these run.
      assert.deepEqual(await served(a, "SELECT 'listen x; create temp table y'"), [["listen x; create temp table y"]]);
    } finally {
      a.close();
    }
  });
});
