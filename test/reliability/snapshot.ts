import assert from "node:assert/strict";
import type pg from "pg";
import { withPg } from "../helpers/db.ts";

/** Row count and checksum of one table, read around the library with a plain pg client. */
export interface TableState {
  readonly rows: number;
  /** md5 over every row's md5 (all columns, the vector and the tsvector included), in id order. */
  readonly checksum: string;
}

/** What "the database is unchanged" compares: which tables exist, and every row of ours. */
export interface Snapshot {
  /** Every table and view in the public schema, so a dropped or created table shows. */
  readonly relations: readonly string[];
  readonly Document: TableState;
  readonly Annotation: TableState;
}

const TABLES = ["Document", "Annotation"] as const;

async function read(client: pg.Client): Promise<Snapshot> {
  const { rows: relations } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p') ORDER BY 1`,
  );
  const state = async (table: (typeof TABLES)[number]): Promise<TableState> => {
    // Each row is hashed first, so the aggregate stays small whatever the tests before left behind.
    const { rows } = await client.query<{ rows: number; checksum: string | null }>(
      `SELECT count(*)::int AS rows, md5(string_agg(md5(t::text), ',' ORDER BY t.id)) AS checksum FROM "${table}" t`,
    );
    return { rows: rows[0]!.rows, checksum: rows[0]!.checksum ?? "empty" };
  };
  return {
    relations: relations.map((r) => r.name),
    Document: await state("Document"),
    Annotation: await state("Annotation"),
  };
}

/** The state of the test database now. */
export function snapshot(): Promise<Snapshot> {
  return withPg(read);
}

/** Asserts that the database is exactly as `before`: same tables, same rows, same bytes. */
export async function assertUnchanged(before: Snapshot, message?: string): Promise<void> {
  assert.deepEqual(await snapshot(), before, message ?? "the database changed");
}

/** Deletes rows a case created on purpose (by id), so the snapshot can be compared afterwards. */
export function deleteRows(table: "Document" | "Annotation", ids: readonly string[]): Promise<void> {
  return withPg(async (client) => {
    await client.query(`DELETE FROM "${table}" WHERE id = ANY($1::text[])`, [ids]);
  });
}
