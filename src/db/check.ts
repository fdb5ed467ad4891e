import { clientSchemaText } from "../compat/prisma-client.ts";
import { ExtensionMissingError, HybridStoreError, InvalidSchemaError, SchemaMismatchError } from "../errors.ts";
import { readAdapterSchema } from "../schema/adapter-schema.ts";
import { readMarkings } from "../schema/markings.ts";
import { type ReadyTable, readyTables } from "../schema/ready-objects.ts";
import { quoteTable } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { missingObjects } from "./check-objects.ts";
import { connectionFailure } from "./connect.ts";
import type { RawClient } from "./execute.ts";
import { toHybridStoreError } from "./execute.ts";
import { DEFAULT_MAINTENANCE_WORK_MEM, repairAllPending } from "./hnsw-rebuild.ts";

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

/**
 * The database lacks objects the schema's `@embed` markings need: migrations not applied, or
 * not yet written for a newly marked field.
 */
export class MigrationsPendingError extends SchemaMismatchError {
  /**
   * What is missing, e.g. `table "Document"`, `column "products"."searchVector"`,
   * `write-path trigger on "catalog"."items" ("vectorPayload" -> "details_vector")`.
   */
  readonly missing: readonly string[];

  constructor(database: string, missing: readonly string[]) {
    super(
      `The database "${database}" lacks what the @embed markings of the schema need (${missing.join(", ")}). ` +
        "Run `npx prisma-hybrid-store generate` (it writes a migration for marked fields your migrations do not " +
        "cover yet, nothing otherwise), then `npx prisma migrate deploy`.",
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

/**
 * Checks that a database is ready for this library: the server answers, pgvector is available on
 * it and installed in this database, no migration failed part-way, and every model the client's
 * schema marks with `/// @embed(...)` has what that marking needs: its table (in the model's
 * `@@schema`, else the adapter's schema) with the schema's columns and the generated
 * `searchVector`, and for each marked field the write-path trigger moving the payload into the
 * vector. The names are the ones `prisma-hybrid-store generate` writes; a trigger or index that
 * does the same job under another name (the bundled migrations') counts. A missing HNSW or GIN
 * index, or an HNSW index without a cosine operator class, is only a warning. Throws the first
 * problem as a typed error whose message says what to do:
 * {@link DatabaseUnavailableError} (cannot connect), {@link ExtensionMissingError} (no pgvector
 * on the server, or the role may not create it), {@link MigrationFailedError},
 * {@link MigrationsPendingError}, {@link InvalidSchemaError} (a marking `generate` would refuse).
 * It also builds, from the definitions left in the table's comment, any HNSW index a bulk load
 * dropped and never built again because its process died (listed in `rebuiltIndexes`; such a
 * build can take minutes on a large table).
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
  const tables = markedTables(client);
  const { missing, warnings } = await missingObjects(
    (sql, ...params) => rows(client, sql, ...params),
    tables ?? [],
    schema,
  );
  if (tables === undefined) {
    warnings.push("This client carries no schema text, so no table was checked (only pgvector and the migrations).");
  } else if (tables.length === 0) {
    warnings.push("The client's schema marks no field with /// @embed(...), so no table was checked.");
  }
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
  const params = new SqlParams();
  const [{ exists }] = (await rows<{ exists: boolean }>(
    client,
    `select to_regclass(${params.param(table)}) is not null as exists`,
    ...params.values,
  )) as [{ exists: boolean }];
  if (!exists) return [];
  return rows<{ name: string; finished: boolean; rolledBack: boolean }>(
    client,
    `select migration_name as name, finished_at is not null as finished, rolled_back_at is not null as "rolledBack"
     from ${table} order by started_at, migration_name`,
  );
}

/**
 * The marked models of the client's schema text with what each needs, or undefined for a client
 * without one. Embedder keys are not checked here: this reads the database, it embeds nothing.
 *
 * @throws InvalidSchemaError for a marking `generate` would refuse.
 */
function markedTables(client: RawClient): ReadyTable[] | undefined {
  const text = clientSchemaText(client);
  if (text === undefined) return undefined;
  const { markings, issues } = readMarkings(text, new Map(), { anyEmbedder: true });
  if (issues.length > 0) throw new InvalidSchemaError(issues);
  return readyTables(text, markings);
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
