import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { hybridStore } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { databaseUrl, target, uniqueLabel, withPg } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { within } from "../helpers/time.ts";

// PGlite serves every connection from one backend, so only a real server can show concurrency.
const skip =
  target() === "server" ? false : "needs a real PostgreSQL server: set TEST_DATABASE_URL (docs/postgres-server.md)";

/** A client as a user builds it, with a pool of `max` connections we can find in pg_stat_activity. */
function storeClient(max: number, applicationName: string) {
  const adapter = new PrismaPg({
    connectionString: databaseUrl(),
    max,
    application_name: applicationName,
    idleTimeoutMillis: 60_000,
  });
  const base = new PrismaClient({ adapter });
  return { base, prisma: base.$extends(hybridStore({ embedder: tinyEmbedder() })) };
}

/** Samples how many connections `applicationName` has open until stopped; returns the peak. */
function watchConnections(applicationName: string) {
  let peak = 0;
  let running = true;
  const done = (async () => {
    const client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    try {
      while (running) {
        const { rows } = await client.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
          [applicationName],
        );
        peak = Math.max(peak, rows[0]!.n);
        await sleep(20);
      }
    } finally {
      await client.end();
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return peak;
    },
  };
}

function countRows(label: string) {
  return withPg(async (client) => {
    const { rows } = await client.query(
      `SELECT count(*)::int AS total, count(embedding)::int AS embedded,
              count(*) FILTER (WHERE "embeddingPayload" IS NOT NULL)::int AS "payloadLeft",
              count(DISTINCT content)::int AS "distinctTexts"
       FROM "Document" WHERE label = $1`,
      [label],
    );
    await client.query(`DELETE FROM "Document" WHERE label = $1`, [label]);
    return rows[0];
  });
}

describe("on a PostgreSQL server: concurrent writers and pool sizes", { skip }, () => {
  test("8 writers x 100 documents through a pool of 8: all stored, all embedded", { timeout: 300_000 }, async () => {
    const label = uniqueLabel("writers");
    const { base, prisma } = storeClient(8, `phs-${label}`);
    const watch = watchConnections(`phs-${label}`);
    let peak = 0;
    try {
      await Promise.all(
        Array.from({ length: 8 }, async (_, writer) => {
          for (let i = 0; i < 100; i++) {
            await prisma.document.create({ data: { content: `writer ${writer} wrote note ${i} about cats`, label } });
          }
        }),
      );
    } finally {
      peak = await watch.stop();
      await base.$disconnect();
    }
    assert.ok(peak >= 2 && peak <= 8, `the pool should use several of its 8 connections, saw ${peak}`);
    assert.deepEqual(await countRows(label), { total: 800, embedded: 800, payloadLeft: 0, distinctTexts: 800 });
  });

  test("20 concurrent writes through a pool of 2 wait for a connection and all succeed", {
    timeout: 120_000,
  }, async () => {
    const label = uniqueLabel("small-pool");
    const { base, prisma } = storeClient(2, `phs-${label}`);
    const watch = watchConnections(`phs-${label}`);
    let peak = 0;
    try {
      // Both connections are busy for a second when the writes arrive, so every write has to wait.
      const started = Date.now();
      const busy = [0, 1].map(() => base.$executeRawUnsafe("SELECT pg_sleep(1)"));
      const writes = Array.from({ length: 20 }, (_, i) =>
        prisma.document.create({ data: { content: `pooled write ${i}`, label } }).then(() => Date.now() - started),
      );
      const all = Promise.all([...busy, ...writes]);
      const outcome = await within(all, 60_000);
      assert.notEqual(outcome, "timed out", "20 writes through 2 connections did not finish within 60 s");
      const finishedAfter = await Promise.all(writes);
      assert.ok(
        Math.min(...finishedAfter) >= 900,
        `writes waited for a free connection (${Math.min(...finishedAfter)} ms)`,
      );
    } finally {
      peak = await watch.stop();
      await base.$disconnect();
    }
    assert.ok(peak <= 2, `the pool never opened more than 2 connections, saw ${peak}`);
    assert.deepEqual(await countRows(label), { total: 20, embedded: 20, payloadLeft: 0, distinctTexts: 20 });
  });
});
