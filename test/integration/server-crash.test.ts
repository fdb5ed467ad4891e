import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import { hybridStore } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { databaseUrl, target, uniqueLabel, withPg } from "../helpers/db.ts";
import { crashServer, restartServer, serverControlProblem } from "../helpers/native-server.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { within } from "../helpers/time.ts";

const skipReason = (): string | false =>
  target() === "server"
    ? serverControlProblem()
    : "needs a real PostgreSQL server: set TEST_DATABASE_URL (docs/postgres-server.md)";

const ANNOTATIONS = 3;

describe("on a PostgreSQL server: a crash in the middle of writes", { skip: skipReason() }, () => {
  test("every acknowledged write survives with its vectors, and none is half-written", {
    timeout: 240_000,
  }, async (t) => {
    const label = uniqueLabel("crash");
    const base = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl(), max: 8 }) });
    const prisma = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
    const acknowledged: string[] = [];
    const errors = new Set<string>();
    let crash: Promise<void> | undefined;
    let restarted = false;

    const writer = async (w: number) => {
      for (let i = 0; ; i++) {
        try {
          // One statement per row, in one transaction: a document with its annotations.
          const doc = await prisma.document.create({
            data: {
              content: `writer ${w} document ${i}`,
              label,
              annotations: {
                create: Array.from({ length: ANNOTATIONS }, (_, a) => ({
                  rawText: `writer ${w} document ${i} part ${a}`,
                })),
              },
            },
            select: { id: true },
          });
          acknowledged.push(doc.id);
        } catch (error) {
          errors.add(
            String((error as Error).message)
              .split("\n")
              .filter(Boolean)
              .at(-1) ?? String(error),
          );
          return;
        }
        if (acknowledged.length >= 120 && !crash) crash = crashServer();
      }
    };

    try {
      const writers = Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
      const outcome = await within(writers, 120_000);
      assert.notEqual(outcome, "timed out", "writers neither finished nor failed within 120 s");
      assert.ok(crash, "the server was stopped");
      await crash;
      // After a crash in the middle of transactions, $disconnect() never settles (Prisma 6.19 with
      // adapter-pg 7.10: the pool waits for clients it will not get back), so do not wait for it.
      const disconnected = await within(
        base.$disconnect().catch(() => {}),
        5_000,
      );
      if (disconnected === "timed out") t.diagnostic("prisma.$disconnect() had not settled 5 s after the crash");
      await restartServer();
      restarted = true;
    } finally {
      if (crash && !restarted) await restartServer().catch(() => {});
    }
    t.diagnostic(
      `${acknowledged.length} writes acknowledged before the crash; writers then saw: ${[...errors].join(" | ")}`,
    );

    await withPg(async (client) => {
      const { rows: present } = await client.query<{ id: string }>(
        `SELECT id FROM "Document" WHERE id = ANY($1::text[])`,
        [acknowledged],
      );
      assert.equal(present.length, acknowledged.length, "every acknowledged document is there");

      const { rows } = await client.query(
        `SELECT count(*)::int AS documents,
                count(*) FILTER (WHERE d.embedding IS NULL OR d."embeddingModel" IS NULL
                                    OR d."embeddingPayload" IS NOT NULL OR d."contentHash" <> md5(d.content))::int AS "badDocuments",
                count(*) FILTER (WHERE (SELECT count(*) FROM "Annotation" a
                                         WHERE a."documentId" = d.id AND a.embedding IS NOT NULL
                                           AND a."embeddingPayload" IS NULL) <> ${ANNOTATIONS})::int AS "incomplete"
         FROM "Document" d WHERE d.label = $1`,
        [label],
      );
      const { documents, badDocuments, incomplete } = rows[0];
      assert.ok(documents >= acknowledged.length, `${documents} documents, ${acknowledged.length} acknowledged`);
      assert.equal(badDocuments, 0, "documents without their vector");
      assert.equal(incomplete, 0, `documents without all ${ANNOTATIONS} embedded annotations`);
      await client.query(`DELETE FROM "Document" WHERE label = $1`, [label]);
    });
  });
});
