import { SqlParams } from "../sql/sql-params.ts";
import { queryRows, type RawClient } from "./execute.ts";

/** How Citus places a table: not at all (plain PostgreSQL too), a copy per node, or in shards. */
export type CitusTableKind = "local" | "reference" | "distributed";

/**
 * Which of the store's tables Citus distributes, read once per table and remembered (a table is
 * distributed once, by `prisma-hybrid-store distribute`; a process started before that keeps
 * the plain-PostgreSQL paths, which stay correct on Citus, only slower). On a database without
 * Citus it costs one catalog query per table.
 */
export class CitusTables {
  readonly #kinds = new Map<string, Promise<CitusTableKind>>();
  readonly #shards = new Map<string, Promise<number>>();

  /** `relation`: the table as SQL names it, quoted and schema-qualified (`quoteTable`). */
  kind(client: RawClient, relation: string): Promise<CitusTableKind> {
    let found = this.#kinds.get(relation);
    if (!found) {
      found = readKind(client, relation);
      found.catch(() => this.#kinds.delete(relation)); // read again next time
      this.#kinds.set(relation, found);
    }
    return found;
  }

  /**
   * The shards of a distributed table (each has its own HNSW graph, which a search walks on its
   * own); 1 for any other table. Read once, like the kind: a shard split is rare and only
   * makes the plan's cost estimate a little off.
   */
  shards(client: RawClient, relation: string): Promise<number> {
    let found = this.#shards.get(relation);
    if (!found) {
      found = this.kind(client, relation).then((kind) => (kind === "distributed" ? readShards(client, relation) : 1));
      found.catch(() => this.#shards.delete(relation));
      this.#shards.set(relation, found);
    }
    return found;
  }
}

async function readShards(client: RawClient, relation: string): Promise<number> {
  const params = new SqlParams();
  const [row] = await queryRows<{ shards: number }>(
    client,
    params.finish(
      `SELECT count(*)::int AS "shards" FROM pg_catalog.pg_dist_shard WHERE logicalrelid = to_regclass(${params.param(relation)})`,
    ),
  );
  return Math.max(1, Number(row?.shards ?? 1));
}

async function readKind(client: RawClient, relation: string): Promise<CitusTableKind> {
  const [citus] = await queryRows<{ installed: boolean }>(client, {
    sql: "SELECT to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL AS installed",
    params: [],
  });
  if (!citus?.installed) return "local";
  const params = new SqlParams();
  const [row] = await queryRows<{ method: string; replication: string }>(
    client,
    params.finish(`SELECT partmethod::text AS "method", repmodel::text AS "replication" FROM pg_catalog.pg_dist_partition
      WHERE logicalrelid = to_regclass(${params.param(relation)})`),
  );
  if (!row) return "local";
  if (row.method === "h") return "distributed";
  // A "Citus local table" (method n, not replicated) lives on the coordinator only.
  return row.method === "n" && row.replication === "t" ? "reference" : "local";
}
