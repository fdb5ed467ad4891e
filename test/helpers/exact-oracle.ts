import { withPg } from "./db.ts";
import { vectorText } from "./vectors.ts";

/**
 * PostgreSQL's exact top-k ids per query (index scans off: the oracle for recall tests),
 * optionally among the rows with `page < pageBelow`.
 */
export async function exactTopK(queries: readonly number[][], k: number, pageBelow?: number): Promise<string[][]> {
  return withPg(async (pg) => {
    await pg.query("BEGIN");
    await pg.query("SET LOCAL enable_indexscan = off");
    const out: string[][] = [];
    for (const q of queries) {
      const { rows } = await pg.query<{ id: string }>(
        `SELECT id FROM "Annotation" WHERE embedding IS NOT NULL${pageBelow === undefined ? "" : " AND page < $2"} ` +
          `ORDER BY embedding <=> $1::vector, id LIMIT ${k}`,
        pageBelow === undefined ? [vectorText(q)] : [vectorText(q), pageBelow],
      );
      out.push(rows.map((r) => r.id));
    }
    await pg.query("COMMIT");
    return out;
  });
}

/** Mean recall of `got` against `truth`, query by query. */
export const recallOf = (truth: string[][], got: string[][]): number =>
  truth.reduce((sum, t, q) => sum + got[q]!.filter((id) => t.includes(id)).length / t.length, 0) / truth.length;
