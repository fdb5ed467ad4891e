import { SqlParams } from "../sql/sql-params.ts";
import { queryRows, type RawClient } from "./execute.ts";

/**
 * An HNSW index of a table, as the catalog has it now. The one reader of HNSW indexes: bulk
 * loads take the definitions from it, the plan choice whether one is usable and which kind
 * (query/vector-index.ts).
 */
export interface HnswIndex {
  readonly name: string;
  /** `pg_get_indexdef`: the statement that recreates it exactly (name, schema, opclass, WITH options). */
  readonly definition: string;
  /**
   * Built and maintained (`indisvalid AND indisready`): the planner may use it. False while a
   * `CREATE INDEX CONCURRENTLY` runs or after one failed.
   */
  readonly usable: boolean;
  /** The operator class of its key, e.g. `vector_cosine_ops` or `halfvec_cosine_ops`. */
  readonly opclass: string;
  /** Its key as `pg_get_indexdef` prints it: a column name or an expression such as `((embedding)::halfvec(384))`. */
  readonly key: string;
  /** Whether the key is a plain column (not an expression). */
  readonly column: boolean;
  /** Whether it has a WHERE clause (a partial index serves only the queries that repeat it). */
  readonly partial: boolean;
}

/** The HNSW indexes of `relation` (quoted and schema-qualified, as `quoteTable` writes it). */
export function readHnswIndexes(client: RawClient, relation: string): Promise<HnswIndex[]> {
  const params = new SqlParams();
  return queryRows<HnswIndex>(
    client,
    params.finish(`SELECT c.relname::text AS "name", pg_get_indexdef(i.indexrelid) AS "definition",
        (i.indisvalid AND i.indisready) AS "usable", opc.opcname::text AS "opclass",
        pg_get_indexdef(i.indexrelid, 1, false) AS "key", i.indkey[0] <> 0 AS "column",
        i.indpred IS NOT NULL AS "partial"
      FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
      JOIN pg_catalog.pg_am am ON am.oid = c.relam
      JOIN pg_catalog.pg_opclass opc ON opc.oid = i.indclass[0]
      WHERE i.indrelid = to_regclass(${params.param(relation)}) AND am.amname = 'hnsw' ORDER BY c.relname`),
  );
}
