// Type test of `prisma-hybrid-store/llamaindex` in a Prisma 7 project (see consumer.ts). Checked
// with skipLibCheck (tsconfig.llamaindex.json) because @llamaindex/core's own .d.ts files do not
// compile without it (they need `ajv` and DOM types); the `@ts-expect-error` lines still fail if
// our types resolve to `any`.

import { TextNode } from "@llamaindex/core/schema";
import { PrismaPg } from "@prisma/adapter-pg";
import { type Embedder, hybridStore } from "prisma-hybrid-store";
import { HybridQueryMode, MiniLmEmbedding, PrismaHybridVectorStore } from "prisma-hybrid-store/llamaindex";
import { PrismaClient } from "./generated/prisma/client.ts";

const embedder: Embedder = { modelId: "m", dimensions: 3, embed: async (texts) => texts.map(() => [0, 0, 1]) };

export async function consumer(): Promise<void> {
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: "postgresql://localhost/db" }) });
  const store = new PrismaHybridVectorStore({ prisma, embedder, documentId: "doc-1" });
  const ids: string[] = await store.add([new TextNode({ text: "Cats purr.", metadata: { page: 1 } })]);
  const result = await store.query({ queryStr: "cats", similarityTopK: 3, mode: HybridQueryMode.HYBRID });
  const first: string | undefined = result.ids[0];
  // @ts-expect-error -- misspelled option
  new PrismaHybridVectorStore({ prisma, embeder: embedder });
  // @ts-expect-error -- not a Prisma client
  new PrismaHybridVectorStore({ prisma: {} });

  // The store keeps the client's type, extended or not.
  const extended = prisma.$extends(hybridStore({ embedder }));
  const client = new PrismaHybridVectorStore({ prisma: extended }).client();
  await client.annotation.similaritySearch({ query: "cats", where: { page: 1 } });
  // @ts-expect-error -- misspelled model method
  await client.annotation.similaritySearh({ query: "cats" });
  const embedModel = new MiniLmEmbedding(embedder);
  console.log(ids, first, embedModel);
}
