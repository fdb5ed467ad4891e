import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** An index as a migration created it: table, access method and columns, names unquoted. */
export interface MigratedIndex {
  readonly name: string;
  readonly table: string;
  /** The table's schema when the statement names one (`"catalog"."items"`), else undefined. */
  readonly schema: string | undefined;
  readonly method: string;
  readonly columns: readonly string[];
}

/**
 * What a folder of Prisma migrations leaves in the database, as far as `generate` needs to know:
 * the vector extension, trigger functions (with their bodies), triggers, added columns and
 * indexes. Read from the SQL text, so it works offline and sees migrations not yet deployed.
 */
export interface MigratedObjects {
  readonly vectorExtension: boolean;
  /**
   * The first migration that gives a table column a pgvector type (`vector(N)`, `halfvec(N)`,
   * `sparsevec(N)`) before any migration creates the extension: on a database without it, that
   * migration fails. Undefined when there is none.
   */
  readonly vectorTypeBeforeExtension: string | undefined;
  /** Function name (`schema.name` when the statement names a schema) -> its statement text. */
  readonly functions: ReadonlyMap<string, string>;
  readonly triggers: readonly {
    readonly name: string;
    readonly table: string;
    readonly schema: string | undefined;
    /** As `functions` keys it. */
    readonly fn: string;
  }[];
  /** `table.column` (`schema.table.column` when qualified) of every column added with ALTER TABLE ... ADD COLUMN. */
  readonly columns: ReadonlySet<string>;
  readonly indexes: readonly MigratedIndex[];
}

const ID = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const QNAME = String.raw`${ID}(?:\s*\.\s*${ID})*`;

/** The last part of a possibly schema-qualified name, unquoted: `"public"."Doc"` -> `Doc`. */
function lastName(qname: string): string {
  const parts = [...qname.matchAll(new RegExp(ID, "g"))].map((m) => m[0]);
  const last = parts.at(-1) ?? qname;
  return last.startsWith('"') ? last.slice(1, -1).replaceAll('""', '"') : last.toLowerCase();
}

/** The schema part of a qualified name, unquoted: `"catalog"."items"` -> `catalog`; none -> undefined. */
function schemaOf(qname: string): string | undefined {
  const parts = [...qname.matchAll(new RegExp(ID, "g"))].map((m) => m[0]);
  return parts.length > 1 ? lastName(parts.at(-2)!) : undefined;
}

/** `schema.name` for a qualified name, `name` otherwise: how functions and columns are keyed. */
const key = (qname: string): string => {
  const schema = schemaOf(qname);
  return schema === undefined ? lastName(qname) : `${schema}.${lastName(qname)}`;
};

/**
 * Whether two statements name the same schema, as far as text tells: a name without a schema
 * may be in any (Prisma writes the default schema's tables unqualified, `generate` writes
 * `@@schema` ones qualified).
 */
const sameSchema = (a: string | undefined, b: string | undefined): boolean =>
  a === undefined || b === undefined || a === b;

/**
 * Reads `<dir>/<migration>/migration.sql` in the order Prisma applies them. Statements are split
 * at every `;`, as Prisma's driver adapters split them (so a migration that works has no other).
 */
export function readMigratedObjects(dir: string): MigratedObjects {
  const functions = new Map<string, string>();
  let triggers: { name: string; table: string; schema: string | undefined; fn: string }[] = [];
  const columns = new Set<string>();
  let indexes: MigratedIndex[] = [];
  let vectorExtension = false;
  let vectorTypeBeforeExtension: string | undefined;
  const names = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "migration.sql")))
        .map((e) => e.name)
        .sort()
    : [];
  const re = (source: string) => new RegExp(source, "i");
  // The first rule whose pattern matches a statement handles it.
  const rules: [RegExp, (m: RegExpExecArray) => void][] = [
    [re(`^CREATE EXTENSION (?:IF NOT EXISTS )?"?vector"?`), () => (vectorExtension = true)],
    [re(`^DROP EXTENSION (?:IF EXISTS )?"?vector"?`), () => (vectorExtension = false)],
    [re(`^CREATE (?:OR REPLACE )?FUNCTION (${QNAME})`), (m) => functions.set(key(m[1]!), m.input)],
    [re(`^DROP FUNCTION (?:IF EXISTS )?(${QNAME})`), (m) => functions.delete(key(m[1]!))],
    [
      re(`^CREATE TRIGGER (${ID}) .*? ON (${QNAME}) .*EXECUTE (?:FUNCTION|PROCEDURE) (${QNAME})`),
      (m) => triggers.push({ name: lastName(m[1]!), table: lastName(m[2]!), schema: schemaOf(m[2]!), fn: key(m[3]!) }),
    ],
    [
      re(`^DROP TRIGGER (?:IF EXISTS )?(${ID}) ON (${QNAME})`),
      (m) => {
        const [trigger, table, schema] = [lastName(m[1]!), lastName(m[2]!), schemaOf(m[2]!)];
        triggers = triggers.filter((t) => !(t.name === trigger && t.table === table && sameSchema(t.schema, schema)));
      },
    ],
    [
      re(
        `^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(${ID}) ON (${QNAME})(?: USING (\\w+))? ?\\((.*)\\)`,
      ),
      (m) => {
        const cols = [...m[4]!.matchAll(new RegExp(`(?:^|,)\\s*(${ID})`, "g"))].map((c) => lastName(c[1]!));
        const method = (m[3] ?? "btree").toLowerCase();
        indexes.push({ name: lastName(m[1]!), table: lastName(m[2]!), schema: schemaOf(m[2]!), method, columns: cols });
      },
    ],
    [
      re(`^DROP INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?(.*)$`),
      (m) => {
        const dropped = new Set(m[1]!.split(",").map((n) => lastName(n.trim())));
        indexes = indexes.filter((i) => !dropped.has(i.name));
      },
    ],
    [
      re(`^ALTER TABLE (?:ONLY )?(?:IF EXISTS )?(${QNAME}) (.*)$`),
      (m) => {
        const table = key(m[1]!);
        for (const add of m[2]!.matchAll(new RegExp(`ADD (?:COLUMN )?(?:IF NOT EXISTS )?(${ID})`, "gi"))) {
          columns.add(`${table}.${lastName(add[1]!)}`);
        }
        for (const drop of m[2]!.matchAll(new RegExp(`DROP (?:COLUMN )?(?:IF EXISTS )?(${ID})`, "gi"))) {
          const dropped = `${lastName(m[1]!)}.${lastName(drop[1]!)}`;
          for (const c of columns) {
            const [schema] = c.split(".").length > 2 ? c.split(".") : [undefined];
            if ((c === dropped || c.endsWith(`.${dropped}`)) && sameSchema(schema, schemaOf(m[1]!))) columns.delete(c);
          }
          // PostgreSQL drops the column's indexes with it.
          indexes = indexes.filter(
            (i) =>
              !(
                i.table === lastName(m[1]!) &&
                sameSchema(i.schema, schemaOf(m[1]!)) &&
                i.columns.includes(lastName(drop[1]!))
              ),
          );
        }
      },
    ],
  ];
  const vectorType = /^(?:CREATE|ALTER) TABLE .*\b(?:vector|halfvec|sparsevec) ?\( ?\d+ ?\)/i;
  for (const name of names) {
    const text = readFileSync(join(dir, name, "migration.sql"), "utf8").replace(/--[^\n]*/g, "");
    for (const raw of text.split(";")) {
      const statement = raw.replace(/\s+/g, " ").trim();
      if (!vectorExtension && vectorTypeBeforeExtension === undefined && vectorType.test(statement)) {
        vectorTypeBeforeExtension = name;
      }
      for (const [pattern, handle] of rules) {
        const m = pattern.exec(statement);
        if (m) {
          handle(m);
          break;
        }
      }
    }
  }
  return { vectorExtension, vectorTypeBeforeExtension, functions, triggers, columns, indexes };
}
