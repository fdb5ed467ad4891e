/**
 * What a writer sees while a bulk load builds the HNSW index again (issue #22): N annotations
 * are loaded with the index dropped (the library's `dropForLoad`), then the library builds it
 * (`buildPending`) plainly (one transaction, maintenance_work_mem 512MB) and CONCURRENTLY (the
 * server's maintenance_work_mem), while another connection inserts one row at a time and times
 * each insert. Native PostgreSQL only (PGlite always builds plainly).
 *
 * Usage: node --import tsx bench/rebuild-writers.ts <postgres-url> [rows=100000] [plain,concurrently]
 */
import { randomUUID } from "node:crypto";
import { buildPending, dropForLoad } from "../src/db/hnsw-rebuild.ts";
import { basePrisma } from "./clients.ts";
import { createSpace, generateDataset } from "./data.ts";
import { annotationInsert, CHUNK, insertDocuments, withPg } from "./load.ts";
import { loadNow } from "./report.ts";

const [url, rowsArg, modesArg = "plain,concurrently"] = process.argv.slice(2);
if (!url) throw new Error("usage: bench/rebuild-writers.ts <postgres-url> [rows]");
const rows = Number(rowsArg ?? 100_000);
const WRITER_ROWS = 10_000;
const data = generateDataset(createSpace(), rows + WRITER_ROWS);
const relation = '"Annotation"';
const prisma = basePrisma(url, 4);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))] ?? 0;

for (const concurrently of modesArg.split(",").map((m) => m === "concurrently")) {
  await withPg(url, async (c) => {
    await c.query(`TRUNCATE "Annotation", "Document"`);
    await insertDocuments(c, Math.ceil((rows + WRITER_ROWS) / 20));
  });
  const owner = randomUUID();
  if ((await dropForLoad(prisma, relation, owner, 600_000)) !== "owner") throw new Error("no index to drop");
  await withPg(url, async (c) => {
    for (let start = 0; start < rows; start += CHUNK) {
      const q = annotationInsert(data, start, Math.min(rows, start + CHUNK));
      await c.query(q.text, q.values);
    }
  });
  const latencies: number[] = [];
  let building = true;
  const writer = withPg(url, async (c) => {
    for (let i = 0; building; i++) {
      const q = annotationInsert(data, rows + (i % WRITER_ROWS), rows + (i % WRITER_ROWS) + 1);
      q.values[0] = randomUUID(); // the writer may run past its rows: each insert a new id
      const t = performance.now();
      await c.query(q.text, q.values);
      latencies.push(performance.now() - t);
    }
  });
  const load = loadNow();
  const t0 = performance.now();
  await buildPending(prisma, relation, owner, { maintenanceWorkMem: "512MB", concurrently });
  const seconds = (performance.now() - t0) / 1000;
  building = false;
  await writer;
  const ms = (x: number) => x.toFixed(1);
  console.log(
    `${concurrently ? "CONCURRENTLY" : "plain       "} ${rows} rows: build ${seconds.toFixed(1)} s; ` +
      `${latencies.length} single-row inserts meanwhile, p50 ${ms(quantile(latencies, 0.5))} ms, ` +
      `p95 ${ms(quantile(latencies, 0.95))} ms, max ${ms(Math.max(...latencies))} ms; load ${load.toFixed(1)}`,
  );
}
await prisma.$disconnect();
