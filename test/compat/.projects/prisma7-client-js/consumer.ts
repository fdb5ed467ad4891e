// Type test (run by test/compat/types.test.ts): a Prisma 7 `prisma-client-js` user's code against the
// built package, with no skipLibCheck. Every `@ts-expect-error` must meet an error: if the
// extended client silently became `any`, those lines would compile and tsc would fail with
// "Unused '@ts-expect-error' directive".
import { PrismaPg } from "@prisma/adapter-pg";
import { Prisma, PrismaClient } from "@prisma/client";
import {
  type Embedder,
  HybridStoreError,
  hybridStore,
  ingestFiles,
  pruneDocuments,
  type ReembedResult,
  startEmbeddedDatabase,
  withEmbedding,
} from "prisma-hybrid-store";

const embedder: Embedder = { modelId: "m", dimensions: 3, embed: async (texts) => texts.map(() => [0, 0, 1]) };

export async function consumer(): Promise<void> {
  const db = await startEmbeddedDatabase({ dataDir: "memory" });
  const base = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 1 }) });
  const prisma = base.$extends(hybridStore({ embedder, dmmf: Prisma.dmmf }));

  // Prisma's own operations keep their types on the extended client.
  const doc = await prisma.document.create({ data: { content: "text", label: "l", ...withEmbedding([0, 0, 1]) } });
  const id: string = doc.id;
  const title: string | null = doc.title;
  // @ts-expect-error -- content is a string
  await prisma.document.create({ data: { content: 42 } });
  // @ts-expect-error -- Document has no field `nope`
  await prisma.document.findMany({ where: { nope: "x" } });
  // @ts-expect-error -- misspelled model method
  await prisma.document.findManyy();
  await prisma.annotation.createMany({ data: [{ documentId: id, rawText: "chunk", page: 1 }] });
  // @ts-expect-error -- page is an Int
  await prisma.annotation.create({ data: { documentId: id, rawText: "chunk", page: "one" } });

  // The client method.
  const result: ReembedResult = await prisma.$reembed({ models: ["Annotation"], batchSize: 10 });
  const embedded: number = result.embedded.Document;
  // @ts-expect-error -- not a model this library manages
  await prisma.$reembed({ models: ["User"] });
  // @ts-expect-error -- misspelled client method
  await prisma.$reembedd();

  // The search methods: `where` is the model's own Prisma where type.
  const hits = await prisma.annotation.similaritySearch({ query: "cats", where: { page: { gte: 2 } }, take: 5 });
  const similarity: number = hits[0]!.similarity;
  const rawText: string = hits[0]!.rawText;
  // @ts-expect-error -- page is an Int
  await prisma.annotation.similaritySearch({ query: "cats", where: { page: { gte: "2" } } });
  // @ts-expect-error -- Annotation has no field `nope`
  await prisma.annotation.similaritySearch({ query: "cats", where: { nope: 1 } });
  // @ts-expect-error -- misspelled search method
  await prisma.document.similaritySearh({ query: "cats" });
  const texts = await prisma.document.textSearch({ query: "cats", where: { label: "l" } });
  const rank: number = texts[0]!.rank;
  const fused = await prisma.document.hybridSearch({ query: "cats", take: 3, include: { annotations: true } });
  const chunks: string[] = fused[0]!.annotations.map((a) => a.rawText);

  // ... and inside interactive transactions.
  await prisma.$transaction(async (tx) => {
    await tx.document.update({ where: { id }, data: { content: { set: "new" } } });
    // @ts-expect-error -- `where` needs a unique field
    await tx.document.update({ where: { label: "l" }, data: {} });
  });

  // The ingest API takes the project's extended client (IngestClient is structural).
  const ingested = await ingestFiles(prisma, ["notes"], { label: "notes", prune: true });
  const pruned: readonly string[] = ingested.pruned;
  const removed: string[] = await pruneDocuments(prisma, ["notes"], { dryRun: true });
  // @ts-expect-error -- prune is a boolean
  await ingestFiles(prisma, ["notes"], { prune: "yes" });

  const error: unknown = new Error("x");
  if (error instanceof HybridStoreError) console.log(error.code);
  console.log(pruned, removed, title, embedded, similarity, rawText, rank, chunks);
  await base.$disconnect();
  await db.stop();
}
