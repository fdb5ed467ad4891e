/** This library: the extended client's createMany and similaritySearch on the Annotation table. */
import { basePrisma, precomputedEmbedder, storePrisma } from "../clients.ts";
import { BENCH_MODEL, vectorText } from "../load.ts";
import { indexOfId } from "../truth.ts";
import { bulkInsert } from "./bulk.ts";
import type { PeerRow, PeerStore, VectorLookup } from "./types.ts";

export function ours(url: string, lookup: VectorLookup): PeerStore {
  const base = basePrisma(url, 2);
  const prisma = storePrisma(base, precomputedEmbedder(lookup));
  const filter = { metadata: { path: ["tenant"], equals: "t0" } };
  return {
    name: "prisma-hybrid-store",
    layout:
      'project schema: "Annotation" with vector(384) + HNSW cosine, GIN on metadata and tsvector, b-trees; filter `where: { metadata: { path: ["tenant"], equals: "t0" } }` (jsonb @>, GIN)',
    tables: ["Annotation"],
    async setup() {
      await base.document.create({ data: { id: "p0", content: "Parent of the peers rows" } });
    },
    async insert(batch: readonly PeerRow[]) {
      await prisma.annotation.createMany({
        data: batch.map((r) => ({
          id: r.id,
          documentId: "p0",
          rawText: r.text,
          label: r.label,
          page: r.page,
          metadata: { i: r.i, tenant: r.tenant, page: r.page },
        })),
      });
    },
    // What createMany sends: the vector as text in "embeddingPayload" (the trigger moves it).
    bulkLoad: (rows, log) =>
      bulkInsert(
        url,
        {
          table: "Annotation",
          columns: [
            "id",
            '"documentId"',
            '"rawText"',
            "label",
            "page",
            "metadata",
            '"embeddingPayload"',
            '"embeddingModel"',
            '"createdAt"',
            '"updatedAt"',
          ],
          values: (r, at) => [
            r.id,
            "p0",
            r.text,
            r.label,
            r.page,
            JSON.stringify({ i: r.i, tenant: r.tenant, page: r.page }),
            vectorText(r.vector),
            BENCH_MODEL,
            at,
            at,
          ],
        },
        rows,
        log,
      ),
    async search(vector, filtered) {
      const rows = await prisma.annotation.similaritySearch({
        query: [...vector],
        take: 10,
        ...(filtered ? { where: filter } : {}),
      });
      return rows.map((r) => indexOfId(r.id));
    },
    close: () => base.$disconnect(),
  };
}
