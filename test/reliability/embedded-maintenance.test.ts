/**
 * Issue #17 item 5: PGlite has no autovacuum or autoanalyze; the embedded server runs them by
 * write volume. This starts its own in-memory embedded database (maintenance is a feature of the
 * embedded server), so it runs the same whatever TEST_DATABASE_URL names.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../../src/db/embedded.ts";
import { within } from "../helpers/time.ts";

let db: EmbeddedDatabase;
before(async () => {
  db = await startEmbeddedDatabase({ dataDir: "memory", handleSignals: false, maintenanceIntervalMs: 100 });
});
after(() => db.stop());

interface Stats {
  live: number;
  dead: number;
  reltuples: number;
  vacuumed: boolean;
  analyzed: boolean;
}

test("after deletes pass autovacuum's threshold, the table is vacuumed and analyzed, and estimates match the live rows", async () => {
  const client = new pg.Client(db.url);
  await client.connect();
  try {
    await client.query("CREATE TABLE churned (n int)");
    const stats = async (): Promise<Stats> => {
      const r = await client.query(
        `SELECT s.n_live_tup::int AS live, s.n_dead_tup::int AS dead, c.reltuples::int AS reltuples,
                s.last_vacuum IS NOT NULL AS vacuumed, s.last_analyze IS NOT NULL AS analyzed
           FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = 'churned'`,
      );
      return r.rows[0] as Stats;
    };
    for (let round = 0; round < 5; round++) {
      await client.query("DELETE FROM churned");
      await client.query("INSERT INTO churned SELECT g FROM generate_series(1, 2000) g");
    }
    await client.query("DELETE FROM churned WHERE n > 300");
    // Waits for the server's next idle moment; the safety limit only ends a stalled test.
    const done = await within(
      (async () => {
        for (;;) {
          const s = await stats();
          if (s.vacuumed && s.analyzed && s.dead === 0) return s;
          await sleep(2000); // maintenance waits for 1 s without queries
        }
      })(),
      120_000,
    );
    assert.notEqual(done, "timed out", "maintenance never ran");
    const s = done as Stats;
    assert.equal(s.live, 300);
    assert.equal(s.reltuples, 300);
    const plan = await client.query("EXPLAIN (FORMAT JSON) SELECT 1 FROM churned");
    assert.equal(plan.rows[0]["QUERY PLAN"][0].Plan["Plan Rows"], 300);
  } finally {
    await client.end();
  }
});
