/** LlamaIndex.TS PGVectorStore (@llamaindex/postgres): its own table, created on first use. */
import { randomUUID } from "node:crypto";
import { BaseEmbedding } from "@llamaindex/core/embeddings";
import { MetadataMode, TextNode } from "@llamaindex/core/schema";
import { FilterOperator, VectorStoreQueryMode } from "@llamaindex/core/vector-store";
import { PGVectorStore } from "@llamaindex/postgres";
import { vectorText } from "../load.ts";
import { bulkInsert } from "./bulk.ts";
import type { PeerRow, PeerStore, VectorLookup } from "./types.ts";

/** A LlamaIndex embedding model that returns the precomputed vector of each text. */
class FakeEmbedding extends BaseEmbedding {
  readonly #lookup: VectorLookup;

  constructor(lookup: VectorLookup) {
    super();
    this.#lookup = lookup;
  }

  override getTextEmbedding(text: string): Promise<number[]> {
    return Promise.resolve(Array.from(this.#lookup(text)));
  }
}

export function llamaindex(url: string, lookup: VectorLookup): PeerStore {
  const embedModel = new FakeEmbedding(lookup);
  const store = new PGVectorStore({
    clientConfig: { connectionString: url },
    dimensions: 384,
    tableName: "llamaindex_embedding",
    embedModel,
  });
  return {
    name: "LlamaIndex PGVectorStore",
    layout:
      "`llamaindex_embedding` (id uuid, external_id, collection, document, metadata jsonb, embeddings vector(384)) with b-trees on external_id and collection, no vector index (the store creates none); filter `tenant == \"t0\"` (metadata->>'tenant', no index)",
    tables: ["llamaindex_embedding"],
    async setup() {
      await store.client();
    },
    async insert(batch: readonly PeerRow[]) {
      const keys = ["i", "tenant", "page"];
      const nodes = batch.map(
        (r) =>
          new TextNode({
            text: r.text,
            metadata: { i: r.i, tenant: r.tenant, page: r.page },
            excludedEmbedMetadataKeys: keys,
          }),
      );
      // As an ingestion pipeline does: the embedding model fills node.embedding, then the store adds.
      const vectors = await embedModel.getTextEmbeddingsBatch(nodes.map((n) => n.getContent(MetadataMode.EMBED)));
      nodes.forEach((n, k) => {
        n.embedding = vectors[k]!;
      });
      await store.add(nodes);
    },
    // add()'s INSERT: the node's random id, external_id "", collection "data" (the default), and
    // the metadata with the create_date it stamps on each node.
    bulkLoad: (rows, log) =>
      bulkInsert(
        url,
        {
          table: "llamaindex_embedding",
          columns: ["id", "external_id", "collection", "document", "metadata", "embeddings"],
          values: (r, at) => [
            randomUUID(),
            "",
            "data",
            r.text,
            JSON.stringify({ i: r.i, tenant: r.tenant, page: r.page, create_date: at }),
            vectorText(r.vector),
          ],
        },
        rows,
        log,
      ),
    async search(vector, filtered) {
      const result = await store.query({
        queryEmbedding: [...vector],
        similarityTopK: 10,
        mode: VectorStoreQueryMode.DEFAULT,
        ...(filtered ? { filters: { filters: [{ key: "tenant", value: "t0", operator: FilterOperator.EQ }] } } : {}),
      });
      return result.nodes?.map((n) => Number(n.metadata.i)) ?? [];
    },
    close: async () => {
      const db = await store.client();
      await db.close();
    },
  };
}
