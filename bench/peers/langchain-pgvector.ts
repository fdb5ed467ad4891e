/** LangChain.js PGVectorStore (@langchain/community): its own table, created by `initialize`. */

import { PGVectorStore } from "@langchain/community/vectorstores/pgvector";
import { Document } from "@langchain/core/documents";
import pg from "pg";
import { vectorText } from "../load.ts";
import { bulkInsert } from "./bulk.ts";
import { FakeEmbeddings } from "./langchain-embeddings.ts";
import type { PeerRow, PeerStore, VectorLookup } from "./types.ts";

export function langchainPgvector(url: string, lookup: VectorLookup): PeerStore {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  let store: PGVectorStore | undefined;
  const ready = () => store ?? Promise.reject(new Error("setup first"));
  return {
    name: "LangChain PGVectorStore",
    layout:
      "`langchain_pg_embedding` (id uuid, text, metadata jsonb, embedding vector(384)) from `initialize`, HNSW cosine from `createHnswIndex`; filter `{ tenant: \"t0\" }` (metadata->>'tenant' = $n, no index)",
    tables: ["langchain_pg_embedding"],
    async setup() {
      store = await PGVectorStore.initialize(new FakeEmbeddings(lookup), {
        pool,
        tableName: "langchain_pg_embedding",
        dimensions: 384,
        distanceStrategy: "cosine",
      });
      await store.createHnswIndex({ dimensions: 384 });
    },
    async insert(batch: readonly PeerRow[]) {
      const docs = batch.map(
        (r) => new Document({ pageContent: r.text, metadata: { i: r.i, tenant: r.tenant, page: r.page } }),
      );
      await (await ready()).addDocuments(docs);
    },
    // addVectors' INSERT: text, embedding, metadata (id from the column default).
    bulkLoad: (rows, log) =>
      bulkInsert(
        url,
        {
          table: "langchain_pg_embedding",
          columns: ["text", "embedding", "metadata"],
          values: (r) => [r.text, vectorText(r.vector), JSON.stringify({ i: r.i, tenant: r.tenant, page: r.page })],
        },
        rows,
        log,
      ),
    async search(vector, filtered) {
      const hits = await (await ready()).similaritySearchVectorWithScore(
        [...vector],
        10,
        filtered ? { tenant: "t0" } : undefined,
      );
      return hits.map(([doc]) => Number(doc.metadata.i));
    },
    close: async () => {
      await store?.end();
      if (!store) await pool.end();
    },
  };
}
