import type { VectorMarking } from "./markings.ts";
import type { MigratedObjects } from "./migrated-objects.ts";
import type { SchemaField } from "./schema-models.ts";

/** The operator classes of an HNSW index that serves cosine distance (`<=>`), which every search orders by. */
export const COSINE_OPCLASSES: readonly string[] = ["vector_cosine_ops", "halfvec_cosine_ops"];
/** pgvector's HNSW graph settings; the bundled migrations measured these (docs/search.md). */
export const HNSW_M = 16;
export const HNSW_EF_CONSTRUCTION = 128;
/** The generated full-text column every marked model gets, as the bundled models have it. */
export const SEARCH_VECTOR_COLUMN = "searchVector";

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
const table = (m: VectorMarking) => (m.dbSchema ? `${q(m.dbSchema)}.${q(m.table)}` : q(m.table));
const inSchema = (m: VectorMarking, name: string) => (m.dbSchema ? `${q(m.dbSchema)}.${q(name)}` : q(name));

/** The name of an object of a marking, shortened to PostgreSQL's 63 bytes with a stable suffix. */
export function objectName(m: VectorMarking, kind: "function" | "trigger" | "hnsw" | "gin"): string {
  const name = {
    function: `phs_${m.table.toLowerCase()}_${m.column}_before_write`,
    trigger: `${m.table}_${m.column}_before_write`,
    hnsw: `${m.table}_${m.column}_hnsw_idx`,
    gin: `${m.table}_${SEARCH_VECTOR_COLUMN}_idx`,
  }[kind];
  return Buffer.byteLength(name) <= 63 ? name : `${name.slice(0, 50)}_${hash8(name)}`;
}

function hash8(s: string): string {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.codePointAt(0)!, 16777619) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** One part of a migration, with the comment that says why it is there. */
export interface SqlPart {
  readonly comment: string;
  readonly sql: string;
}

/**
 * The SQL for every marking whose objects `migrated` does not have yet, in the order it must
 * run: the extension, then per marking the write-path trigger, the full-text column and its GIN
 * index, and the HNSW index. Objects are recognised by what they do, not by name, so databases
 * made by the bundled migrations (trigger `Document_before_write`) count as migrated.
 */
export function hybridSql(markings: readonly VectorMarking[], migrated: MigratedObjects): SqlPart[] {
  const parts: SqlPart[] = [];
  if (markings.length > 0 && !migrated.vectorExtension) {
    parts.push({
      comment: "pgvector, the type of every @embed field. Needs a role that may create extensions.",
      sql: "CREATE EXTENSION IF NOT EXISTS vector;",
    });
  }
  for (const m of markings) {
    const label = `${m.model}.${m.field}`;
    const existing = writePathFunction(m, migrated);
    if (existing === undefined) {
      parts.push({
        comment: `${label}: the save hook's write path (${m.payload.name} -> ${m.field}).`,
        sql: writePathSql(m),
      });
    } else if (!sameSources(m, existing.body)) {
      parts.push({
        comment: `${label}: the write path's function, for the marking's new source or hash fields (its trigger stays).`,
        sql: functionSql(m, existing.name, "CREATE OR REPLACE FUNCTION"),
      });
    }
    if (m.fullText.length > 0 && !hasColumn(migrated, m, SEARCH_VECTOR_COLUMN)) {
      parts.push({ comment: `${m.model}: full-text search over ${names(m.fullText)}.`, sql: fullTextSql(m) });
    }
    if (m.fullText.length > 0 && !hasIndex(migrated, m, "gin", SEARCH_VECTOR_COLUMN)) {
      parts.push({
        comment: `${m.model}: GIN index of the full-text column.`,
        sql: `CREATE INDEX ${q(objectName(m, "gin"))} ON ${table(m)} USING gin (${q(SEARCH_VECTOR_COLUMN)});`,
      });
    }
    if (!hasIndex(migrated, m, "hnsw", m.column)) {
      parts.push({
        comment: `${label}: approximate nearest neighbours by cosine distance (<=>).`,
        sql:
          `CREATE INDEX ${q(objectName(m, "hnsw"))} ON ${table(m)} USING hnsw (${q(m.column)} vector_cosine_ops)\n` +
          `  WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION});`,
      });
    }
  }
  return parts;
}

const names = (fields: readonly SchemaField[]) => fields.map((f) => f.name).join(", ");

/**
 * Whether a migrated object's table is the marking's. A name without a schema matches either
 * way: Prisma writes tables of the default schema unqualified, `generate` qualifies `@@schema`.
 */
function onTable(m: VectorMarking, table: string, schema: string | undefined): boolean {
  return table === m.table && (schema === undefined || m.dbSchema === undefined || schema === m.dbSchema);
}

function hasColumn(migrated: MigratedObjects, m: VectorMarking, column: string): boolean {
  const bare = `${m.table}.${column}`;
  return [...migrated.columns].some(
    (k) => k === bare || (k.endsWith(`.${bare}`) && (m.dbSchema === undefined || k === `${m.dbSchema}.${bare}`)),
  );
}

function hasIndex(migrated: MigratedObjects, m: VectorMarking, method: string, column: string): boolean {
  return migrated.indexes.some((i) => onTable(m, i.table, i.schema) && i.method === method && i.columns[0] === column);
}

/**
 * Whether a trigger function's body (as a migration writes it, or as the database keeps it) is
 * the write path of this marking: it moves the payload column into the vector column. How a
 * write path is recognised by `generate` and by checkDatabase alike, whatever its name (the
 * bundled one is `Document_before_write`).
 */
export function movesPayload(m: VectorMarking, body: string): boolean {
  return body.includes(`NEW.${q(m.payload.column)}`) && body.includes(`NEW.${q(m.column)}`);
}

/** The function of a trigger on the table that moves this payload column into this vector column. */
function writePathFunction(m: VectorMarking, migrated: MigratedObjects): { name: string; body: string } | undefined {
  for (const t of migrated.triggers) {
    const body = migrated.functions.get(t.fn) ?? "";
    if (onTable(m, t.table, t.schema) && movesPayload(m, body)) return { name: t.fn.split(".").at(-1)!, body };
  }
  return undefined;
}

/**
 * Whether a migrated write-path function watches exactly the marking's source columns and keeps
 * its hash the same way (formatting aside: the bundled functions are written by hand).
 */
function sameSources(m: VectorMarking, body: string): boolean {
  const hash = m.hash ? body.includes(`NEW.${q(m.hash.column)} := md5(${textExpression(m)})`) : !body.includes("md5(");
  return hash && watchesSources(m, body);
}

/**
 * Whether a write-path function's body clears the vector on a change of exactly the marking's
 * source columns. checkDatabase runs it on the body the database keeps, where the E'' quoting of
 * the migration is gone (so the hash expression, which has quotes, is left to `generate`).
 */
export function watchesSources(m: VectorMarking, body: string): boolean {
  const watched = new Set([...body.matchAll(/IS DISTINCT FROM OLD\.("(?:[^"]|"")+")/g)].map((x) => x[1]));
  watched.delete(q(m.column));
  const sources = new Set(m.sources.map((x) => q(x.column)));
  return watched.size === sources.size && [...sources].every((x) => watched.has(x));
}

/** The embedded text in SQL: the one source, or the non-NULL sources joined by a space. */
function textExpression(m: VectorMarking): string {
  const cols = m.sources.map((s) => `NEW.${q(s.column)}`);
  return cols.length === 1 ? cols[0]! : `concat_ws('' '', ${cols.join(", ")})`;
}

/**
 * The trigger that moves the payload into the vector column in the statement that writes the
 * row (so row and vector commit together), keeps the hash, and clears a vector whose text
 * changed. The body is an E'' string with \x3B for `;`: Prisma's driver adapters split a
 * migration at every `;`, dollar quotes included.
 */
function writePathSql(m: VectorMarking): string {
  const fn = inSchema(m, objectName(m, "function"));
  return [
    functionSql(m, objectName(m, "function"), "CREATE FUNCTION"),
    "",
    `CREATE TRIGGER ${q(objectName(m, "trigger"))} BEFORE INSERT OR UPDATE ON ${table(m)}`,
    `  FOR EACH ROW EXECUTE FUNCTION ${fn}();`,
  ].join("\n");
}

function functionSql(m: VectorMarking, name: string, create: string): string {
  return [`${create} ${inSchema(m, name)}() RETURNS trigger LANGUAGE plpgsql AS E'`, ...functionBody(m), "';"].join(
    "\n",
  );
}

function functionBody(m: VectorMarking): string[] {
  const vector = `NEW.${q(m.column)}`;
  const payload = `NEW.${q(m.payload.column)}`;
  const changed = m.sources.map((s) => `NEW.${q(s.column)} IS DISTINCT FROM OLD.${q(s.column)}`).join(" OR ");
  return [
    "BEGIN",
    ...(m.hash ? [`  NEW.${q(m.hash.column)} := md5(${textExpression(m)})\\x3B`] : []),
    `  IF ${payload} IS NOT NULL THEN`,
    // No ::vector cast: PL/pgSQL converts the text through the column's own type and checks its
    // dimensions, naming no type, so the trigger works whatever the caller's search_path (a
    // model in another schema, pgvector in public).
    `    ${vector} := ${payload}\\x3B`,
    `    ${payload} := NULL\\x3B`,
    `  ELSIF TG_OP = ''UPDATE'' AND (${changed})`,
    `        AND ${vector} IS NOT DISTINCT FROM OLD.${q(m.column)} THEN`,
    `    ${vector} := NULL\\x3B`,
    `    NEW.${q(m.modelField.column)} := NULL\\x3B`,
    "  END IF\\x3B",
    "  RETURN NEW\\x3B",
    "END",
  ];
}

/** A generated tsvector column, kept by PostgreSQL itself (an immutable expression: no concat_ws). */
function fullTextSql(m: VectorMarking): string {
  const text = m.fullText.map((f) => (f.optional ? `coalesce(${q(f.column)}, '')` : q(f.column))).join(" || ' ' || ");
  return (
    `ALTER TABLE ${table(m)} ADD COLUMN ${q(SEARCH_VECTOR_COLUMN)} tsvector\n` +
    `  GENERATED ALWAYS AS (to_tsvector('english', ${text})) STORED;`
  );
}
