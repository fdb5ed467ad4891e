import { quoteIdent } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import type { SqlSession } from "./citus-distribute.ts";

/** What the store needs on a table: its write triggers, its indexes (HNSW among them) and the generated column. */
export interface TableParts {
  readonly triggers: number;
  readonly indexes: number;
  readonly hnswIndexes: number;
  readonly generatedColumns: number;
}

/** One shard placement (a shard on one node) and the parts it has. */
export interface PlacementParts extends TableParts {
  readonly table: string;
  readonly shardId: number;
  readonly node: string;
}

// `%1$s` is the shard's name when Citus runs it on a placement, the table's on the coordinator.
const PARTS_SQL = `SELECT concat_ws(',',
  (SELECT count(*) FROM pg_trigger WHERE tgrelid = '%1$s'::regclass AND NOT tgisinternal),
  (SELECT count(*) FROM pg_index WHERE indrelid = '%1$s'::regclass),
  (SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
     WHERE i.indrelid = '%1$s'::regclass AND a.amname = 'hnsw'),
  (SELECT count(*) FROM pg_attribute WHERE attrelid = '%1$s'::regclass AND attgenerated = 's' AND NOT attisdropped))`;

/**
 * The triggers, indexes and generated columns of every placement of `table`, read on the
 * workers, and those of the table on the coordinator to compare them with. A shard that lacks
 * the save-hook trigger would store rows without their vectors; one without the HNSW index
 * would scan where the plan expects an index.
 */
export async function inspectPlacements(
  session: SqlSession,
  table: string,
): Promise<{ expected: TableParts; placements: PlacementParts[] }> {
  const name = quoteIdent(table);
  const local = new SqlParams();
  const parts = PARTS_SQL.replaceAll("'%1$s'", local.param(name)); // the same query, on the coordinator's table
  const expectedRows = await session.query(`SELECT (${parts}) AS "parts"`, [...local.values]);
  const expected = parseParts(String((expectedRows.rows[0] as { parts: string }).parts));
  const params = new SqlParams();
  const { rows } = await session.query(
    `SELECT p.shardid::int AS "shardId", p.nodename || ':' || p.nodeport AS "node", p.success, p.result
     FROM run_command_on_placements(${params.param(name, "regclass")}, ${params.param(PARTS_SQL)}) AS p ORDER BY p.shardid, p.nodename, p.nodeport`,
    [...params.values],
  );
  const placements = (rows as { shardId: number; node: string; success: boolean; result: string }[]).map((r) => {
    if (!r.success) throw new Error(`cannot inspect shard ${r.shardId} on ${r.node}: ${r.result}`);
    return { table, shardId: r.shardId, node: r.node, ...parseParts(r.result) };
  });
  return { expected, placements };
}

/** Placements whose parts differ from the coordinator's table. */
export function incompletePlacements(expected: TableParts, placements: readonly PlacementParts[]): PlacementParts[] {
  return placements.filter(
    (p) =>
      p.triggers !== expected.triggers ||
      p.indexes !== expected.indexes ||
      p.hnswIndexes !== expected.hnswIndexes ||
      p.generatedColumns !== expected.generatedColumns,
  );
}

function parseParts(text: string): TableParts {
  const [triggers, indexes, hnswIndexes, generatedColumns] = text.split(",").map(Number);
  return {
    triggers: triggers ?? Number.NaN,
    indexes: indexes ?? Number.NaN,
    hnswIndexes: hnswIndexes ?? Number.NaN,
    generatedColumns: generatedColumns ?? Number.NaN,
  };
}
