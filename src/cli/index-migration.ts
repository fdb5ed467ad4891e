import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { VECTOR_DIMENSIONS } from "../schema/model-meta.ts";

/** The HNSW index kinds a migration can switch the tables to (see src/query/vector-index.ts). */
export type IndexMigrationKind = "halfvec" | "vector";

const TABLES = ["Document", "Annotation"] as const;

/**
 * The migration that rebuilds both tables' HNSW indexes as `kind`, under the names the bundled
 * migrations give them (so scripts/check-migrations.ts sees the protected indexes recreated and
 * `prisma migrate diff` between schema files leaves them alone), with the bundled graph
 * (m 16, ef_construction 128). No `;` in the comments: Prisma's adapter splits at every one.
 */
export function indexMigrationSql(kind: IndexMigrationKind): string {
  const key =
    kind === "halfvec"
      ? `(("embedding"::halfvec(${VECTOR_DIMENSIONS})) halfvec_cosine_ops)`
      : `("embedding" vector_cosine_ops)`;
  const about =
    kind === "halfvec"
      ? [
          '-- HNSW indexes on the half-precision cast of "embedding": 2 bytes a dimension instead of 4,',
          "-- about half the index memory. Searches find the index kind once per table, walk it and",
          "-- re-rank its candidates by the full-precision distance (docs/scaling.md).",
        ]
      : ['-- HNSW indexes on "embedding" itself, as the bundled migrations build them.'];
  return [
    `-- Written by \`prisma-hybrid-store index --${kind}\`.`,
    ...about,
    "-- Each rebuild blocks writes to its table while it runs: on a large live table see",
    "-- docs/migrations.md for the CREATE INDEX CONCURRENTLY way.",
    ...TABLES.flatMap((t) => [
      `DROP INDEX "${t}_embedding_hnsw_idx";`,
      `CREATE INDEX "${t}_embedding_hnsw_idx" ON "${t}" USING hnsw ${key} WITH (m = 16, ef_construction = 128);`,
    ]),
    "",
  ].join("\n");
}

/** Writes the migration as `<dir>/<UTC timestamp>_<kind>_index/migration.sql`; returns its path. */
export async function writeIndexMigration(dir: string, kind: IndexMigrationKind, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/\D/g, "").slice(0, 14);
  const folder = join(resolve(dir), `${stamp}_${kind}_index`);
  await mkdir(folder, { recursive: true });
  const file = join(folder, "migration.sql");
  await writeFile(file, indexMigrationSql(kind), { flag: "wx" });
  return file;
}
