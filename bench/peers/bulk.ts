/**
 * The untimed bulk part of a big peers run: rows appended to a store's own table with the
 * columns and values its API writes (multi-row INSERTs of 1000 rows, vectors as text with 9
 * significant digits), so the table ends up as if the store had written every row itself.
 */
import { CHUNK, dropIndexes, rebuildIndexes, withPg } from "../load.ts";
import type { PeerRow } from "./types.ts";

export interface BulkSpec {
  /** Unquoted table name. */
  readonly table: string;
  /** Quoted column names, in the order `values` returns them. */
  readonly columns: readonly string[];
  /** `at`: one ISO timestamp per statement, as Prisma stamps `@default(now())` / `@updatedAt`. */
  readonly values: (row: PeerRow, at: string) => readonly unknown[];
}

/**
 * Inserts `rows`. When they outnumber the rows already there, the table's HNSW and GIN indexes
 * are dropped first and rebuilt from their own definitions afterwards (one build is much faster
 * than growing the graph row by row); b-trees stay in place.
 */
export async function bulkInsert(
  url: string,
  spec: BulkSpec,
  rows: readonly PeerRow[],
  log: (line: string) => void,
): Promise<void> {
  await withPg(url, async (c) => {
    const { rows: count } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${spec.table}"`);
    const indexes = rows.length >= count[0]!.n ? await dropIndexes(c, spec.table, ["hnsw", "gin"]) : [];
    const width = spec.columns.length;
    for (let start = 0; start < rows.length; start += CHUNK) {
      const chunk = rows.slice(start, start + CHUNK);
      const at = new Date().toISOString();
      const tuples = chunk.map((_, k) => `(${spec.columns.map((_, j) => `$${k * width + j + 1}`).join(",")})`);
      await c.query(
        `INSERT INTO "${spec.table}" (${spec.columns.join(", ")}) VALUES ${tuples.join(",")}`,
        chunk.flatMap((row) => spec.values(row, at)),
      );
    }
    await rebuildIndexes(c, indexes, (line) => log(`  ${spec.table}:${line}`));
  });
}
