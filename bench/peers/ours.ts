/** This library: the extended client's createMany and similaritySearch on the Annotation table. */
import { basePrisma, precomputedEmbedder, storePrisma } from "../clients.ts";
import { indexOfId } from "../truth.ts";
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
