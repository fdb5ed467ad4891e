/**
 * Issue #8, found by the concurrent-writers fault on PGlite: the embedded server must keep each
 * connection's queries apart. pglite-socket hands PGlite one protocol message at a time, so two
 * connections' extended-protocol queries interleaved on its single backend (a client got
 * another client's rows, or 26000 "unnamed prepared statement does not exist", and the queue
 * could stall for good: electric-sql/pglite#1046). src/db/wire-server.ts keeps them apart; these
 * tests speak the wire protocol directly, so the interleaving is forced rather than hoped for.
 * They start their own in-memory embedded database, so they run the same on both targets.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../../src/db/embedded.ts";
import { withPg } from "../helpers/db.ts";
import { within } from "../helpers/time.ts";
import { bind, execute, flush, parse, query, rows, sync, Wire } from "../helpers/wire.ts";

// Safety nets: if the server stalled, these end the test instead of hanging the suite.
const SAFETY_MS = 60_000;
const settle = <T>(p: Promise<T>) =>
  within(p, SAFETY_MS).then((r) => {
    assert.notEqual(r, "timed out", "the server stopped answering");
    return r as T;
  });

let db: EmbeddedDatabase;
before(async () => {
  // More sockets than the tests hold at once: a closed one is released a moment after close().
  db = await startEmbeddedDatabase({ dataDir: "memory", maxConnections: 16, handleSignals: false });
});
after(() => db.stop());

describe("the embedded server keeps each connection's queries apart", () => {
  test("a query sent by B between A's Parse and A's Bind does not touch A's statement", async () => {
    const a = await Wire.open(db.url);
    const b = await Wire.open(db.url);
    try {
      a.send(parse("SELECT $1::text AS from_a"), flush());
      await settle(a.until("1")); // ParseComplete: A is in the middle of its query
      b.send(parse("SELECT 'from b' AS from_b"), bind(), execute(), sync());
      const bDone = b.until("Z");
      // Time for B to run if the server let it (it must not). Not a measurement: the
      // assertions below hold whatever B did meanwhile.
      await Promise.race([bDone, sleep(300)]);
      a.send(bind("from a"), execute(), sync());
      assert.deepEqual(rows(await settle(a.until("Z"))), [["from a"]]);
      assert.deepEqual(rows(await settle(bDone)), [["from b"]]);
    } finally {
      a.close();
      b.close();
    }
  });

  test("four connections with large and small parameters each get their own rows", async () => {
    const wires = await Promise.all(Array.from({ length: 4 }, () => Wire.open(db.url)));
    const big = "x".repeat(300_000); // several TCP segments: the server sees it in pieces
    try {
      await settle(
        Promise.all(
          wires.map(async (wire, k) => {
            for (let i = 0; i < 25; i++) {
              const value = k % 2 ? `${big}${k}:${i}` : `${k}:${i}`;
              wire.send(parse(`SELECT length($1::text)::text AS n${k}, right($1::text, 8) AS tail`), bind(value));
              wire.send(execute(), sync());
              assert.deepEqual(rows(await wire.until("Z")), [[String(value.length), value.slice(-8)]]);
            }
          }),
        ),
      );
    } finally {
      for (const wire of wires) wire.close();
    }
  });

  test("a connection that goes away in the middle of a query does not block the others", async () => {
    const a = await Wire.open(db.url);
    const b = await Wire.open(db.url);
    try {
      a.send(parse("SELECT $1::text"), flush());
      await settle(a.until("1"));
      a.close();
      b.send(query("SELECT 'still served'"));
      assert.deepEqual(rows(await settle(b.until("Z"))), [["still served"]]);
    } finally {
      b.close();
    }
  });

  test("a connection that goes away inside a transaction: it is rolled back and the others go on", async () => {
    const setup = await Wire.open(db.url);
    const a = await Wire.open(db.url);
    const b = await Wire.open(db.url);
    try {
      setup.send(query("CREATE TABLE left_open (v text)"));
      await settle(setup.until("Z"));
      a.send(query("BEGIN; INSERT INTO left_open VALUES ('uncommitted')"));
      await settle(a.until("Z"));
      a.close();
      b.send(query("SELECT count(*)::text FROM left_open"));
      assert.deepEqual(rows(await settle(b.until("Z"))), [["0"]]);
    } finally {
      setup.close();
      b.close();
    }
  });
});

describe("a connection that keeps the backend idle while others wait", () => {
  const IDLE_MS = 2000;
  let idle: EmbeddedDatabase;
  before(async () => {
    idle = await startEmbeddedDatabase({
      dataDir: "memory",
      idleInTransactionTimeoutMs: IDLE_MS,
      handleSignals: false,
    });
    await withPg((c) => c.query("CREATE TABLE idle_tx (v text)"), idle.url);
  });
  after(() => idle.stop());

  const count = () =>
    withPg(async (c) => (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM idle_tx")).rows[0]?.n, idle.url);

  test("is disconnected with 25P03 and rolled back, and the waiting connection goes on", async () => {
    const a = new pg.Client({ connectionString: idle.url });
    // The FATAL comes first, then "Connection terminated unexpectedly" as the socket closes.
    const aError = new Promise<Error & { code?: string }>((resolve) => a.on("error", resolve));
    await a.connect();
    try {
      await a.query("BEGIN");
      await a.query("INSERT INTO idle_tx VALUES ('never committed')");
      // Without the timeout this would wait for `a` forever: nothing here ends its transaction.
      assert.equal(await settle(count()), 0);
      const error = await settle(aError);
      assert.equal(error.code, "25P03", String(error));
      await assert.rejects(a.query("SELECT 1"));
    } finally {
      await a.end().catch(() => undefined);
    }
  });

  test("is kept while nobody waits, and while it keeps sending", async () => {
    await withPg(async (a) => {
      await a.query("BEGIN");
      await a.query("INSERT INTO idle_tx VALUES ('alone')");
      await sleep(2 * IDLE_MS); // nobody waits: no reason to end it
      const waiting = count();
      // Another connection waits now; each statement comes well within the idle time.
      for (let i = 0; i < 10; i++) {
        await sleep(IDLE_MS / 20);
        await a.query("INSERT INTO idle_tx VALUES ('busy')");
      }
      await a.query("COMMIT");
      assert.equal(await settle(waiting), 11);
    }, idle.url);
    await withPg((c) => c.query("TRUNCATE idle_tx"), idle.url);
  });
});

test("a connection closed while another holds the backend no longer counts against maxConnections", async () => {
  const small = await startEmbeddedDatabase({ dataDir: "memory", maxConnections: 2, handleSignals: false });
  try {
    await withPg(async (a) => {
      await a.query("BEGIN");
      // The second slot is taken and given back while `a` holds the backend, so the server cannot
      // clean it up yet; a third connection must still get in (and run once `a` commits).
      const second = connect(small.port, "127.0.0.1");
      await once(second, "connect");
      second.destroy();
      await once(second, "close");
      let third: Promise<unknown> | undefined;
      // The server hears of the close a moment later: until then the slot is taken, so retry.
      // Refused is an immediate FATAL 53300; accepted waits for `a`, so still pending means in.
      for (let attempt = 0; attempt < 50 && !third; attempt++) {
        const tried = withPg(async (c) => (await c.query("SELECT 1 AS one")).rows, small.url);
        const refused = await Promise.race([
          tried.then(
            () => false,
            (e: { code?: string }) => e.code === "53300",
          ),
          sleep(100, false),
        ]);
        if (!refused) third = tried;
      }
      assert.ok(third, "the closed connection's slot was never given back");
      await a.query("COMMIT");
      assert.deepEqual(await settle(third), [{ one: 1 }]);
    }, small.url);
  } finally {
    await small.stop();
  }
});
