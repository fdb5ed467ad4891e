import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { HNSW_EF_CONSTRUCTION, HNSW_M, schemaModels, vectorDimensions } from "../tooling/index.ts";
import { packagePaths } from "./package-paths.ts";

/** The HNSW index kinds a migration can switch the tables to (see src/query/vector-index.ts). */
export type IndexMigrationKind = "halfvec" | "vector";

const TABLES = ["Document", "Annotation"] as const;

/**
 * The migration that rebuilds both tables' HNSW indexes as `kind`, under the names the bundled
 * migrations give them (so scripts/check-migrations.ts sees the protected indexes recreated and
 * `prisma migrate diff` between schema files leaves them alone), with the bundled graph
 * (m 16, ef_construction 128) or a denser one (`m`). No `;` in the comments: Prisma's adapter
 * splits at every one.
 */
export function indexMigrationSql(kind: IndexMigrationKind, m = HNSW_M): string {
  const models = schemaModels(readFileSync(packagePaths.schema, "utf8"));
  /** The HNSW key of a table; for halfvec, with its `embedding` column's dimensions in the bundled schema. */
  const key = (table: string) => {
    if (kind === "vector") return `("embedding" vector_cosine_ops)`;
    const type = models.find((m) => m.table === table)?.fields.find((f) => f.column === "embedding")?.type;
    const dimensions = type === undefined ? undefined : vectorDimensions(type);
    if (typeof dimensions !== "number") throw new Error(`the bundled schema has no vector(N) "embedding" on ${table}`);
    return `(("embedding"::halfvec(${dimensions})) halfvec_cosine_ops)`;
  };
  const about =
    kind === "halfvec"
      ? [
          '-- HNSW indexes on the half-precision cast of "embedding": 2 bytes a dimension instead of 4,',
          "-- about half the index memory. Searches find the index kind once per table, walk it and",
          "-- re-rank its candidates by the full-precision distance (docs/scaling.md).",
        ]
      : ['-- HNSW indexes on "embedding" itself, as the bundled migrations build them.'];
  const graph =
    m === HNSW_M
      ? []
      : [
          `-- A graph of m ${m} (the bundled migrations have ${HNSW_M}): more edges per node, a larger index`,
          "-- and a slower build, for recall on large tables (docs/scaling.md).",
        ];
  return [
    `-- Written by \`prisma-hybrid-store index --${kind}\`.`,
    ...about,
    ...graph,
    "-- Each rebuild blocks writes to its table while it runs: on a large live table see",
    "-- docs/migrations.md for the CREATE INDEX CONCURRENTLY way.",
    ...TABLES.flatMap((t) => [
      `DROP INDEX "${t}_embedding_hnsw_idx";`,
      `CREATE INDEX "${t}_embedding_hnsw_idx" ON "${t}" USING hnsw ${key(t)} WITH (m = ${m}, ef_construction = ${HNSW_EF_CONSTRUCTION});`,
    ]),
    "",
  ].join("\n");
}

/** Writes the migration as `<dir>/<UTC timestamp>_<kind>_index/migration.sql`; returns its path. */
export async function writeIndexMigration(
  dir: string,
  kind: IndexMigrationKind,
  m = HNSW_M,
  now = new Date(),
): Promise<string> {
  const stamp = now.toISOString().replace(/\D/g, "").slice(0, 14);
  const folder = join(resolve(dir), `${stamp}_${kind}_index`);
  await mkdir(folder, { recursive: true });
  const file = join(folder, "migration.sql");
  await writeFile(file, indexMigrationSql(kind, m), { flag: "wx" });
  return file;
}
