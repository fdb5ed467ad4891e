import type { VectorMarking } from "./markings.ts";
import type { MigratedObjects } from "./migrated-objects.ts";
import type { SchemaField } from "./schema-models.ts";

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
    if (!hasWritePath(m, migrated)) {
      parts.push({
        comment: `${label}: the save hook's write path (${m.payload.name} -> ${m.field}).`,
        sql: writePathSql(m),
      });
    }
    if (m.fullText.length > 0 && !migrated.columns.has(`${m.table}.${SEARCH_VECTOR_COLUMN}`)) {
      parts.push({ comment: `${m.model}: full-text search over ${names(m.fullText)}.`, sql: fullTextSql(m) });
    }
    if (m.fullText.length > 0 && !hasIndex(migrated, m.table, "gin", SEARCH_VECTOR_COLUMN)) {
      parts.push({
        comment: `${m.model}: GIN index of the full-text column.`,
        sql: `CREATE INDEX ${q(objectName(m, "gin"))} ON ${table(m)} USING gin (${q(SEARCH_VECTOR_COLUMN)});`,
      });
    }
    if (!hasIndex(migrated, m.table, "hnsw", m.column)) {
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

function hasIndex(migrated: MigratedObjects, tableName: string, method: string, column: string): boolean {
  return migrated.indexes.some((i) => i.table === tableName && i.method === method && i.columns[0] === column);
}

/** A trigger on the table whose function moves this payload column into this vector column. */
function hasWritePath(m: VectorMarking, migrated: MigratedObjects): boolean {
  const moves = (body: string) => body.includes(`NEW.${q(m.payload.column)}`) && body.includes(`NEW.${q(m.column)}`);
  return migrated.triggers.some((t) => t.table === m.table && moves(migrated.functions.get(t.fn) ?? ""));
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
  const vector = `NEW.${q(m.column)}`;
  const payload = `NEW.${q(m.payload.column)}`;
  const changed = m.sources.map((s) => `NEW.${q(s.column)} IS DISTINCT FROM OLD.${q(s.column)}`).join(" OR ");
  const body = [
    "BEGIN",
    ...(m.hash ? [`  NEW.${q(m.hash.column)} := md5(${textExpression(m)})\\x3B`] : []),
    `  IF ${payload} IS NOT NULL THEN`,
    `    ${vector} := ${payload}::vector(${m.dimensions})\\x3B`,
    `    ${payload} := NULL\\x3B`,
    `  ELSIF TG_OP = ''UPDATE'' AND (${changed})`,
    `        AND ${vector} IS NOT DISTINCT FROM OLD.${q(m.column)} THEN`,
    `    ${vector} := NULL\\x3B`,
    `    NEW.${q(m.modelField.column)} := NULL\\x3B`,
    "  END IF\\x3B",
    "  RETURN NEW\\x3B",
    "END",
  ];
  return [
    `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS E'`,
    ...body,
    "';",
    "",
    `CREATE TRIGGER ${q(objectName(m, "trigger"))} BEFORE INSERT OR UPDATE ON ${table(m)}`,
    `  FOR EACH ROW EXECUTE FUNCTION ${fn}();`,
  ].join("\n");
}

/** A generated tsvector column, kept by PostgreSQL itself (an immutable expression: no concat_ws). */
function fullTextSql(m: VectorMarking): string {
  const text = m.fullText.map((f) => (f.optional ? `coalesce(${q(f.column)}, '')` : q(f.column))).join(" || ' ' || ");
  return (
    `ALTER TABLE ${table(m)} ADD COLUMN ${q(SEARCH_VECTOR_COLUMN)} tsvector\n` +
    `  GENERATED ALWAYS AS (to_tsvector('english', ${text})) STORED;`
  );
}
