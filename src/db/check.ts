import { ExtensionMissingError, HybridStoreError, SchemaMismatchError } from "../errors.ts";
import { readAdapterSchema } from "../schema/adapter-schema.ts";
import { connectionFailure } from "./connect.ts";
import type { RawClient } from "./execute.ts";
import { toHybridStoreError } from "./execute.ts";
import { DEFAULT_MAINTENANCE_WORK_MEM, repairAllPending } from "./hnsw-rebuild.ts";
import { quoteTable } from "./sql.ts";

/** What {@link checkDatabase} found on a database that is ready for this library. */
export interface DatabaseReport {
  /** The server's `server_version`, e.g. `"15.14"`. */
  readonly serverVersion: string;
  readonly database: string;
  readonly user: string;
  /** pgvector version installed in this database. */
  readonly pgvectorVersion: string;
  /** Migrations recorded as applied in `_prisma_migrations` (empty when there is no such table). */
  readonly appliedMigrations: readonly string[];
  /**
   * Tables whose HNSW indexes a bulk load had dropped and could not build again (its process
   * died): `checkDatabase` built them from the definitions the load left (docs/concepts.md,
   * "Bulk loads"). Usually empty.
   */
  readonly rebuiltIndexes: readonly string[];
  /** Things that work but should be fixed, e.g. a missing vector index (searches then scan). */
  readonly warnings: readonly string[];
}

/** The migrations (this library's, in prisma/migrations) have not been applied, or not all. */
export class MigrationsPendingError extends SchemaMismatchError {
  /** What is missing, e.g. `table "Document"`, `column "Annotation"."searchVector"`. */
  readonly missing: readonly string[];

  constructor(database: string, missing: readonly string[]) {
    super(
      `The database "${database}" lacks what this library's migrations create (${missing.join(", ")}). ` +
        "Apply them: `npx prisma migrate deploy`, with the migrations of prisma-hybrid-store in prisma/migrations.",
    );
    this.missing = missing;
  }
}

/** A migration failed part-way and Prisma will not apply any other until it is resolved. */
export class MigrationFailedError extends HybridStoreError {
  readonly migration: string;

  constructor(migration: string) {
    super(
      "MIGRATION_FAILED",
      `The migration ${migration} failed part-way, so Prisma applies no further migrations. Fix its cause ` +
        `(\`npx prisma migrate deploy\` shows it), then run \`npx prisma migrate resolve --rolled-back ${migration}\` ` +
        "and `npx prisma migrate deploy` again.",
    );
    this.migration = migration;
  }
}

/** Columns the library reads or writes, and what creates the ones Prisma's schema cannot. */
const REQUIRED: Record<string, { columns: string[]; trigger: string }> = {
  Document: {
    columns: [
      "id",
      "content",
      "metadata",
      "embedding",
      "embeddingModel",
      "embeddingPayload",
      "contentHash",
      "searchVector",
    ],
    trigger: "Document_before_write",
  },
  Annotation: {
    columns: [
      "id",
      "documentId",
      "rawText",
      "metadata",
      "embedding",
      "embeddingModel",
      "embeddingPayload",
      "contentHash",
      "searchVector",
    ],
    trigger: "Annotation_before_write",
  },
};
const INDEX_SUFFIXES = ["_embedding_hnsw_idx", "_searchVector_idx", "_metadata_idx"];

/**
 * Checks that a database is ready for this library: the server answers, pgvector is available on
 * it and installed in this database, and the migrations have been applied. Throws the first
 * problem as a typed error whose message says what to do:
 * {@link DatabaseUnavailableError} (cannot connect), {@link ExtensionMissingError} (no pgvector
 * on the server, or the role may not create it), {@link MigrationFailedError},
 * {@link MigrationsPendingError}. It also builds, from the definitions left in the table's
 * comment, any HNSW index a bulk load dropped and never built again because its process died
 * (listed in `rebuiltIndexes`; such a build can take minutes on a large table).
 *
 * @example
 * ```ts
 * const report = await checkDatabase(prisma);
 * console.log(`pgvector ${report.pgvectorVersion} on PostgreSQL ${report.serverVersion}`);
 * ```
 */
export async function checkDatabase(client: RawClient): Promise<DatabaseReport> {
  let server: { serverVersion: string; database: string; user: string };
  try {
    [server] = (await client.$queryRawUnsafe(
      `select current_setting('server_version') as "serverVersion", current_database()::text as database, current_user::text as "user"`,
    )) as [typeof server];
  } catch (cause) {
    throw connectionFailure(cause) ?? toHybridStoreError(cause);
  }
  const { database } = server;

  const [vector] = await rows<{ available: string | null; installed: string | null; mayCreate: boolean }>(
    client,
    `select
       (select default_version from pg_available_extensions where name = 'vector') as available,
       (select extversion from pg_extension where extname = 'vector') as installed,
       coalesce((select rolsuper from pg_roles where rolname = current_user), false)
         or (coalesce((select v.trusted from pg_available_extension_versions v
                        join pg_available_extensions e on e.name = v.name and e.default_version = v.version
                        where v.name = 'vector'), false)
             and has_database_privilege(current_database(), 'CREATE')) as "mayCreate"`,
  );
  if (!vector?.available) {
    throw new ExtensionMissingError(
      `The PostgreSQL ${server.serverVersion} server has no pgvector extension. Install pgvector on the server ` +
        "(a postgresql-<version>-pgvector package, or build it: https://github.com/pgvector/pgvector#installation), " +
        "or use the embedded database (`npx prisma-hybrid-store db`), which includes it.",
    );
  }

  // The adapter's schema option, if any: where Prisma (and so this library) keeps the tables.
  const schema = readAdapterSchema(client);
  const migrations = await migrationHistory(client, schema);
  const failed = migrations.find((m) => !m.finished && !m.rolledBack);
  if (!vector.installed && !vector.mayCreate) {
    throw new ExtensionMissingError(
      `pgvector is available on the server but not installed in the database "${database}", and the role ` +
        `"${server.user}" may not create extensions. Ask your database administrator to run ` +
        `\`CREATE EXTENSION IF NOT EXISTS vector;\` in "${database}" as a superuser, then ` +
        (failed ? `run \`npx prisma migrate resolve --rolled-back ${failed.name}\` and ` : "run ") +
        "`npx prisma migrate deploy` again.",
    );
  }
  if (failed) throw new MigrationFailedError(failed.name);

  const rebuiltIndexes = await repairAllPending(client, { maintenanceWorkMem: DEFAULT_MAINTENANCE_WORK_MEM });
  const { missing, warnings } = await missingObjects(client, schema);
  if (!vector.installed) missing.unshift('extension "vector"');
  if (missing.length > 0) throw new MigrationsPendingError(database, missing);

  return {
    ...server,
    pgvectorVersion: vector.installed!,
    rebuiltIndexes,
    appliedMigrations: migrations.filter((m) => m.finished && !m.rolledBack).map((m) => m.name),
    warnings,
  };
}

async function migrationHistory(client: RawClient, schema: string | undefined) {
  const table = quoteTable({ table: "_prisma_migrations", schema });
  const [{ exists }] = (await rows<{ exists: boolean }>(
    client,
    "select to_regclass($1) is not null as exists",
    table,
  )) as [{ exists: boolean }];
  if (!exists) return [];
  return rows<{ name: string; finished: boolean; rolledBack: boolean }>(
    client,
    `select migration_name as name, finished_at is not null as finished, rolled_back_at is not null as "rolledBack"
     from ${table} order by started_at, migration_name`,
  );
}

async function missingObjects(
  client: RawClient,
  schema: string | undefined,
): Promise<{ missing: string[]; warnings: string[] }> {
  // ::text on every `name` column: @prisma/adapter-pg 6.x cannot read the `name` type (P2010).
  const tables = Object.keys(REQUIRED);
  const inSchema =
    schema === undefined
      ? "pg_table_is_visible(c.oid)"
      : "c.relnamespace = (select n.oid from pg_namespace n where n.nspname = $2)";
  const found = await rows<{ table: string; kind: string; name: string }>(
    client,
    `select c.relname::text as "table", 'column' as kind, a.attname::text as name
       from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.relname = any($1::text[]) and c.relkind in ('r', 'p') and ${inSchema}
        and a.attnum > 0 and not a.attisdropped
     union all
     select c.relname::text, 'trigger', t.tgname::text
       from pg_trigger t join pg_class c on c.oid = t.tgrelid
      where c.relname = any($1::text[]) and ${inSchema} and not t.tgisinternal
     union all
     select c.relname::text, 'index', i.relname::text
       from pg_index x join pg_class c on c.oid = x.indrelid join pg_class i on i.oid = x.indexrelid
      where c.relname = any($1::text[]) and ${inSchema}`,
    tables,
    ...(schema === undefined ? [] : [schema]),
  );
  const has = (table: string, kind: string, name: string) =>
    found.some((f) => f.table === table && f.kind === kind && f.name === name);
  const missing: string[] = [];
  const warnings: string[] = [];
  for (const [table, { columns, trigger }] of Object.entries(REQUIRED)) {
    if (!found.some((f) => f.table === table)) {
      missing.push(`table "${table}"`);
      continue;
    }
    for (const column of columns) if (!has(table, "column", column)) missing.push(`column "${table}"."${column}"`);
    if (!has(table, "trigger", trigger)) missing.push(`trigger "${trigger}"`);
    for (const suffix of INDEX_SUFFIXES) {
      const index = `${table}${suffix}`;
      if (!has(table, "index", index)) {
        warnings.push(
          `Index "${index}" is missing: searches on "${table}" scan the whole table. Recreate it as in the ` +
            "search_indexes migration (a migration generated by `prisma migrate diff` may have dropped it).",
        );
      }
    }
  }
  return { missing, warnings };
}

async function rows<T>(client: RawClient, sql: string, ...params: unknown[]): Promise<T[]> {
  try {
    return await client.$queryRawUnsafe<T[]>(sql, ...params);
  } catch (cause) {
    throw connectionFailure(cause) ?? toHybridStoreError(cause, { sql, params });
  }
}

/**
 * Reads the output of a failed `prisma migrate deploy` and, when it recognizes the cause,
 * returns one line saying what to do (for a CLI to print above Prisma's own output).
 *
 * @example
 * ```ts
 * const hint = describeMigrationFailure(stdout + stderr);
 * if (hint) console.error(hint);
 * ```
 */
export function describeMigrationFailure(output: string): string | undefined {
  const migration =
    /migration_name="([^"]+)"/.exec(output)?.[1] ?? /The `([^`]+)` migration started at/.exec(output)?.[1];
  const resolve = migration
    ? `, then run \`npx prisma migrate resolve --rolled-back ${migration}\` and \`npx prisma migrate deploy\` again`
    : ", then run `npx prisma migrate deploy` again";
  if (/permission denied to create extension "?vector"?/i.test(output)) {
    return (
      "Your database role may not create the pgvector extension: ask your database administrator to run " +
      `\`CREATE EXTENSION IF NOT EXISTS vector;\` in this database as a superuser${resolve}.`
    );
  }
  if (
    /extension "?vector"? is not available|could not open extension control file "[^"]*vector\.control"/i.test(output)
  ) {
    return (
      "This PostgreSQL server has no pgvector: install it on the server (a postgresql-<version>-pgvector package, " +
      "or https://github.com/pgvector/pgvector#installation), or use the embedded database (`npx prisma-hybrid-store db`)" +
      `${migration ? resolve : ""}.`
    );
  }
  const unreachable = /Can't reach database server at `?([^`\s]+?)`?\s*$/m.exec(output);
  if (unreachable || /\bP1001\b|ECONNREFUSED/.test(output)) {
    const at = unreachable ? ` at ${unreachable[1]}` : "";
    return `Cannot reach the database server${at}: start it (the embedded one: \`npx prisma-hybrid-store db\`), or fix DATABASE_URL.`;
  }
  const noDatabase = /Database `([^`]+)` does not exist/.exec(output);
  if (noDatabase || /\bP1003\b/.test(output)) {
    return `The database${noDatabase ? ` "${noDatabase[1]}"` : ""} does not exist: create it, or fix the database name in DATABASE_URL.`;
  }
  if (/User was denied access|password authentication failed|Authentication failed|\bP1000\b|\bP1010\b/i.test(output)) {
    return "The server refused the login: check the user name and password in DATABASE_URL.";
  }
  if (/\bP3009\b|found failed migrations/.test(output) && migration) {
    return `The migration ${migration} failed on an earlier run: fix its cause${resolve}.`;
  }
  return undefined;
}
