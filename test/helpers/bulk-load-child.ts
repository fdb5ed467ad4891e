/**
 * A process that dies in the middle of a bulk load (test/integration/bulk-load-crash.test.ts):
 * `$bulkLoad` drops the Annotation index, one batch of rows commits, then it prints "loading"
 * and waits to be killed. Arguments: documentId, label, seed, rows.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { databaseUrl } from "./db.ts";
import { tinyEmbedder } from "./store.ts";
import { crashRows } from "./vectors.ts";

const [documentId = "", label = "", seed = "1", rows = "50"] = process.argv.slice(2);
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl(), max: 2 }) }).$extends(
  // A short heartbeat promise, so the test need not wait the default 30 s to see it dead.
  hybridStore({ embedder: tinyEmbedder(), bulkLoad: { staleAfterMs: 1_000 } }),
);
await prisma.$bulkLoad(async () => {
  const data = crashRows(Number(seed), Number(rows)).map((r) => ({
    documentId,
    label,
    rawText: r.text,
    ...withEmbedding(r.vector),
  }));
  await prisma.annotation.createMany({ data });
  process.stdout.write("loading\n");
  await new Promise(() => {}); // until SIGKILL
});
