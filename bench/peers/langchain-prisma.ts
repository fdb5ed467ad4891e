/**
 * LangChain.js PrismaVectorStore (@langchain/community), configured on this project's own
 * "Document" table (vector(384) + HNSW cosine, b-tree on label) through the generated client.
 * Its documented flow: create the rows with Prisma, then `addModels` writes each vector with an
 * UPDATE (one statement per row, in one batch transaction).
 */
import { PrismaVectorStore } from "@langchain/community/vectorstores/prisma";
import { Prisma } from "../../src/generated/prisma/client.ts";
import { basePrisma } from "../clients.ts";
import { vectorText } from "../load.ts";
import { bulkInsert } from "./bulk.ts";
import { FakeEmbeddings } from "./langchain-embeddings.ts";
import type { PeerRow, PeerStore, VectorLookup } from "./types.ts";

export function langchainPrisma(url: string, lookup: VectorLookup): PeerStore {
  // addModels sends one UPDATE per row in one transaction: 1000 rows outlast Prisma's default
  // 5 s transaction timeout on PGlite (P2028), so the timeout is raised, as a user would have to.
  const db = basePrisma(url, 2, 300_000);
  const store = PrismaVectorStore.withModel(db).create(new FakeEmbeddings(lookup), {
    prisma: Prisma,
    tableName: "Document" as never,
    vectorColumnName: "embedding",
    columns: { id: PrismaVectorStore.IdColumn, content: PrismaVectorStore.ContentColumn, label: true } as never,
  });
  return {
    name: "LangChain PrismaVectorStore",
    layout:
      'project schema: "Document" with vector(384) + HNSW cosine, b-tree on label; rows by `createMany`, vectors by `addModels` (transaction timeout raised from 5 s); filter `{ label: { equals: "l0" } }` (b-tree)',
    tables: ["Document"],
    setup: async () => undefined,
    async insert(batch: readonly PeerRow[]) {
      const rows = batch.map((r) => ({ id: r.id, content: r.text, label: r.label }));
      await db.document.createMany({
        data: rows.map((r, k) => ({ ...r, metadata: { i: batch[k]!.i, tenant: batch[k]!.tenant } })),
      });
      await store.addModels(rows as never);
    },
    // createMany's columns, and the vector addModels' UPDATE sets (here through "embeddingPayload",
    // which the trigger moves into "embedding"; "embeddingModel" stays NULL as after addModels).
    bulkLoad: (rows, log) =>
      bulkInsert(
        url,
        {
          table: "Document",
          columns: ["id", "content", "label", "metadata", '"embeddingPayload"', '"createdAt"', '"updatedAt"'],
          values: (r, at) => [
            r.id,
            r.text,
            r.label,
            JSON.stringify({ i: r.i, tenant: r.tenant }),
            vectorText(r.vector),
            at,
            at,
          ],
        },
        rows,
        log,
      ),
    async search(vector, filtered) {
      const filter = filtered ? ({ label: { equals: "l0" } } as never) : undefined;
      const hits = await store.similaritySearchVectorWithScore([...vector], 10, filter);
      return hits.map(([doc]) => Number(String((doc.metadata as unknown as { id: string }).id).slice(1)));
    },
    close: () => db.$disconnect(),
  };
}
