/**
 * `node --import tsx scripts/check-migrations.ts [dir]` (default prisma/migrations): fails with
 * exit code 1 when a migration
 *
 * - drops something Prisma's schema language cannot express and no later statement recreates it:
 *   the HNSW, full-text and metadata indexes (`*_hnsw_idx`, `*_searchVector_idx`,
 *   `*_metadata_idx`), the generated "searchVector" column, the save-hook trigger functions and
 *   triggers, or the vector extension. `prisma migrate diff` proposes exactly such drops, because
 *   it does not know these objects exist;
 * - has a `;` anywhere but between statements (in a comment, a string, a quoted name or a
 *   dollar-quoted body). Prisma's driver adapter (@prisma/adapter-pg `executeScript`) runs a
 *   migration by splitting its text at every `;`, so such a migration fails half-applied.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** One thing wrong with one migration, located by file and line. */
export interface MigrationProblem {
  /** Migration directory name, e.g. `20261125000300_search_indexes`. */
  readonly migration: string;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** Checks every `<dir>/<migration>/migration.sql`, in the order Prisma applies them. */
export function checkMigrations(dir: string): MigrationProblem[] {
  const problems: MigrationProblem[] = [];
  const state = new CatalogState();
  const migrations = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort();
  for (const migration of migrations) {
    const file = join(dir, migration, "migration.sql");
    const { statements, semicolons } = lex(readFileSync(file, "utf8"));
    for (const { line, inside } of semicolons) {
      problems.push({ migration, file, line, message: semicolonMessage(inside) });
    }
    for (const statement of statements) state.apply(statement.text, { migration, file, line: statement.line });
  }
  for (const { object, at } of state.droppedProtected()) {
    problems.push({ ...at, message: dropMessage(object) });
  }
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

// ---------------------------------------------------------------------------------------------
// Lexing: split at the semicolons PostgreSQL would split at, and find the others.

type Inside = "a comment" | "a string literal" | "a quoted identifier" | "a dollar-quoted body";

interface Lexed {
  /** Statement text with comments removed and literal contents blanked to `''`. */
  readonly statements: { readonly text: string; readonly line: number }[];
  readonly semicolons: { readonly line: number; readonly inside: Inside }[];
}

function lex(sql: string): Lexed {
  const statements: { text: string; line: number }[] = [];
  const semicolons: { line: number; inside: Inside }[] = [];
  let code = "";
  let line = 1;
  let startLine = 0;
  let i = 0;

  /** Skips sql[i, end), recording its semicolons, and appends `replacement` to the statement. */
  const skip = (end: number, inside: Inside, replacement: string) => {
    if (startLine === 0 && inside !== "a comment") startLine = line;
    for (let j = i; j < end; j++) {
      if (sql[j] === ";") semicolons.push({ line, inside });
      if (sql[j] === "\n") line++;
    }
    code += replacement;
    i = end;
  };
  const finish = () => {
    const text = code.replace(/\s+/g, " ").trim();
    if (text) statements.push({ text, line: startLine });
    code = "";
    startLine = 0;
  };

  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      skip(end === -1 ? sql.length : end, "a comment", " ");
    } else if (c === "/" && next === "*") {
      skip(blockCommentEnd(sql, i), "a comment", " ");
    } else if (c === "'") {
      const escapes = /(?:^|[^\w$])[eE]$/.test(code);
      skip(quoteEnd(sql, i, "'", escapes), "a string literal", "''");
    } else if (c === '"') {
      const end = quoteEnd(sql, i, '"', false);
      skip(end, "a quoted identifier", sql.slice(i, end));
    } else if (c === "$" && !/[\w$]$/.test(code) && /^\$(?:[A-Za-z_][\w]*)?\$/.test(sql.slice(i))) {
      const tag = /^\$(?:[A-Za-z_][\w]*)?\$/.exec(sql.slice(i))![0];
      const close = sql.indexOf(tag, i + tag.length);
      skip(close === -1 ? sql.length : close + tag.length, "a dollar-quoted body", "''");
    } else if (c === ";") {
      finish();
      i++;
    } else {
      if (c === "\n") line++;
      else if (startLine === 0 && !/\s/.test(c)) startLine = line;
      code += c;
      i++;
    }
  }
  finish();
  return { statements, semicolons };
}

function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  for (let j = start; j < sql.length - 1; j++) {
    if (sql[j] === "/" && sql[j + 1] === "*") {
      depth++;
      j++;
    } else if (sql[j] === "*" && sql[j + 1] === "/") {
      depth--;
      j++;
      if (depth === 0) return j + 1;
    }
  }
  return sql.length;
}

/** End (exclusive) of a quoted token starting at `start`; a doubled quote is an escaped one. */
function quoteEnd(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  for (let j = start + 1; j < sql.length; j++) {
    if (backslashEscapes && sql[j] === "\\") j++;
    else if (sql[j] === quote) {
      if (sql[j + 1] === quote) j++;
      else return j + 1;
    }
  }
  return sql.length;
}

// ---------------------------------------------------------------------------------------------
// What the migrations create and drop, statement by statement.

interface Location {
  readonly migration: string;
  readonly file: string;
  readonly line: number;
}

type DbObject =
  | { kind: "index"; name: string; table?: string; columns: string[]; createdIn?: string }
  | { kind: "column"; name: string; table: string; createdIn?: string }
  | { kind: "function"; name: string; createdIn?: string }
  | { kind: "trigger"; name: string; table: string; fn?: string; createdIn?: string }
  | { kind: "extension"; name: string; createdIn?: string };

const PROTECTED_INDEX = /_hnsw_idx|_searchVector_idx|_metadata_idx/i;

function isProtected(o: DbObject): boolean {
  switch (o.kind) {
    case "index":
      return PROTECTED_INDEX.test(o.name);
    case "column":
      return o.name.toLowerCase() === "searchvector";
    case "function":
    case "trigger":
      return true;
    case "extension":
      return o.name === "vector";
  }
}

const keyOf = (o: DbObject): string =>
  o.kind === "column" || o.kind === "trigger" ? `${o.kind}:${o.table}.${o.name}` : `${o.kind}:${o.name}`;

const ID = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const QNAME = String.raw`${ID}(?:\.${ID})*`;

class CatalogState {
  private readonly live = new Map<string, DbObject>();
  private readonly dropped = new Map<string, { object: DbObject; at: Location }>();

  droppedProtected() {
    return [...this.dropped.values()];
  }

  apply(text: string, at: Location): void {
    for (const [pattern, handle] of this.rules) {
      const m = pattern.exec(text);
      if (m) {
        handle(m, at);
        return;
      }
    }
  }

  private readonly rules: [RegExp, (m: RegExpExecArray, at: Location) => void][] = [
    [
      re(`^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:IF NOT EXISTS )?(${QNAME}) ON (?:ONLY )?(${QNAME})(.*)$`),
      (m, at) => {
        const columns = [...firstGroup(m[3]!).matchAll(new RegExp(ID, "g"))].map((c) => unquote(c[0]));
        this.create({ kind: "index", name: lastName(m[1]!), table: lastName(m[2]!), columns }, at);
      },
    ],
    [
      re(`^DROP INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?(.+?)(?: CASCADE| RESTRICT)?$`),
      (m, at) => {
        for (const name of splitTopLevel(m[1]!)) this.drop(this.find("index", lastName(name)), at);
      },
    ],
    [
      re(`^ALTER INDEX (?:IF EXISTS )?(${QNAME}) RENAME TO (${ID})$`),
      (m, at) => {
        const old = this.find("index", lastName(m[1]!));
        this.drop(old, at);
        if (old.kind === "index") this.create({ ...old, name: unquote(m[2]!) }, at);
      },
    ],
    [
      re(`^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMPORARY |TEMP |UNLOGGED ))?TABLE (?:IF NOT EXISTS )?(${QNAME}) ?(\\(.*)$`),
      (m, at) => {
        const table = lastName(m[1]!);
        for (const item of splitTopLevel(firstGroup(m[2]!))) {
          const column = new RegExp(`^${ID}`).exec(item)?.[0];
          if (column && !/^(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE|LIKE)$/i.test(column)) {
            this.create({ kind: "column", name: unquote(column), table }, at);
          }
        }
      },
    ],
    [
      re(`^DROP TABLE (?:IF EXISTS )?(.+?)(?: CASCADE| RESTRICT)?$`),
      (m, at) => {
        for (const name of splitTopLevel(m[1]!)) {
          const table = lastName(name);
          this.dropWhere((o) => "table" in o && o.table === table, at);
        }
      },
    ],
    [
      re(`^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?(${QNAME}) (.*)$`),
      (m, at) => this.alterTable(lastName(m[1]!), m[2]!, at),
    ],
    [
      re(`^CREATE (?:OR REPLACE )?FUNCTION (${QNAME}) ?\\(`),
      (m, at) => this.create({ kind: "function", name: lastName(m[1]!) }, at),
    ],
    [
      re(`^DROP FUNCTION (?:IF EXISTS )?(.+?)(?: (CASCADE|RESTRICT))?$`),
      (m, at) => {
        for (const item of splitTopLevel(m[1]!)) {
          const fn = lastName(new RegExp(`^${QNAME}`).exec(item)?.[0] ?? item);
          this.drop(this.find("function", fn), at);
          // CASCADE also drops the triggers that call it.
          if (m[2]?.toUpperCase() === "CASCADE") this.dropWhere((o) => o.kind === "trigger" && o.fn === fn, at);
        }
      },
    ],
    [
      re(
        `^CREATE (?:OR REPLACE )?(?:CONSTRAINT )?TRIGGER (${ID}) .*? ON (${QNAME}) .*EXECUTE (?:FUNCTION|PROCEDURE) (${QNAME}) ?\\(`,
      ),
      (m, at) =>
        this.create({ kind: "trigger", name: unquote(m[1]!), table: lastName(m[2]!), fn: lastName(m[3]!) }, at),
    ],
    [
      re(`^DROP TRIGGER (?:IF EXISTS )?(${ID}) ON (${QNAME})`),
      (m, at) => this.drop({ kind: "trigger", name: unquote(m[1]!), table: lastName(m[2]!) }, at),
    ],
    [
      re(`^CREATE EXTENSION (?:IF NOT EXISTS )?(${ID})`),
      (m, at) => this.create({ kind: "extension", name: unquote(m[1]!) }, at),
    ],
    [
      re(`^DROP EXTENSION (?:IF EXISTS )?(.+?)(?: CASCADE| RESTRICT)?$`),
      (m, at) => {
        for (const name of splitTopLevel(m[1]!)) this.drop({ kind: "extension", name: unquote(name) }, at);
      },
    ],
    [
      re(`^DROP SCHEMA (?:IF EXISTS )?(.+?)(?: CASCADE| RESTRICT)?$`),
      (m, at) => {
        if (splitTopLevel(m[1]!).some((s) => unquote(s) === "public")) this.dropWhere(() => true, at);
      },
    ],
  ];

  private alterTable(table: string, rest: string, at: Location): void {
    const rename = re(`^RENAME (?:COLUMN )?(${ID}) TO (${ID})$`).exec(rest);
    if (rename) {
      const [from, to] = [unquote(rename[1]!), unquote(rename[2]!)];
      this.drop({ kind: "column", name: from, table }, at);
      this.create({ kind: "column", name: to, table }, at);
      for (const o of this.live.values()) {
        if (o.kind === "index" && o.table === table) o.columns = o.columns.map((c) => (c === from ? to : c));
      }
      return;
    }
    if (re("^RENAME TO ").test(rest)) return;
    for (const action of splitTopLevel(rest)) {
      const dropped = re(`^DROP (?!CONSTRAINT )(?:COLUMN )?(?:IF EXISTS )?(${ID})`).exec(action);
      const added = re(
        `^ADD (?!CONSTRAINT |PRIMARY |UNIQUE |CHECK |FOREIGN |EXCLUDE )(?:COLUMN )?(?:IF NOT EXISTS )?(${ID})`,
      ).exec(action);
      if (dropped) {
        const column = unquote(dropped[1]!);
        this.drop({ kind: "column", name: column, table }, at);
        // PostgreSQL drops every index that uses the column along with it.
        this.dropWhere((o) => o.kind === "index" && o.table === table && o.columns.includes(column), at);
      } else if (added) {
        this.create({ kind: "column", name: unquote(added[1]!), table }, at);
      }
    }
  }

  private find(kind: "index" | "function", name: string): DbObject {
    return this.live.get(`${kind}:${name}`) ?? (kind === "index" ? { kind, name, columns: [] } : { kind, name });
  }

  private create(object: DbObject, at: Location): void {
    const key = keyOf(object);
    this.dropped.delete(key);
    this.live.set(key, { ...object, createdIn: at.migration });
  }

  private drop(object: DbObject, at: Location): void {
    const key = keyOf(object);
    const known = this.live.get(key) ?? object;
    this.live.delete(key);
    if (isProtected(known)) this.dropped.set(key, { object: known, at });
  }

  private dropWhere(test: (o: DbObject) => boolean, at: Location): void {
    for (const o of [...this.live.values()]) if (test(o)) this.drop(o, at);
  }
}

const re = (source: string) => new RegExp(source, "i");

/** The text inside the first balanced parentheses of `text` ("" when there are none). */
function firstGroup(text: string): string {
  const open = text.indexOf("(");
  if (open === -1) return "";
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    if (text[j] === "(") depth++;
    else if (text[j] === ")" && --depth === 0) return text.slice(open + 1, j);
  }
  return text.slice(open + 1);
}

/** Splits at commas outside parentheses and quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === "(") depth++;
    else if (!quoted && c === ")") depth--;
    if (c === "," && depth === 0 && !quoted) {
      parts.push(current.trim());
      current = "";
    } else current += c;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

/** `"public"."Document"` -> `Document`; unquoted names fold to lower case, as in PostgreSQL. */
function lastName(qualified: string): string {
  const parts = [...qualified.trim().matchAll(new RegExp(ID, "g"))].map((p) => p[0]);
  return unquote(parts.at(-1) ?? qualified.trim());
}

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Messages

function semicolonMessage(inside: Inside): string {
  const fix =
    inside === "a comment"
      ? "Remove it from the comment."
      : inside === "a quoted identifier"
        ? "Rename the object."
        : "Write the text as an E'...' string with \\x3B for each semicolon (see 20261125000200_embedding_triggers).";
  return (
    `";" inside ${inside}. Prisma's driver adapter (@prisma/adapter-pg) applies a migration by splitting ` +
    `it at every ";", so this migration would fail part-way. ${fix}`
  );
}

function dropMessage(o: DbObject): string {
  const made = o.createdIn ? ` (created by ${o.createdIn})` : "";
  const what =
    o.kind === "index"
      ? `drops index "${o.name}"${made}, which Prisma's schema cannot express`
      : o.kind === "column"
        ? `drops column "${o.table}"."${o.name}"${made}, the generated full-text column Prisma's schema does not know`
        : o.kind === "function"
          ? `drops function "${o.name}"${made}, which the save hook's triggers need`
          : o.kind === "trigger"
            ? `drops trigger "${o.name}" on "${o.table}"${made}, which stores the save hook's vectors`
            : `drops the "${o.name}" extension${made}, which every embedding column and vector index needs`;
  return (
    `${what}, and no later statement recreates it. \`prisma migrate diff\` proposes this drop because the ` +
    "object is not in schema.prisma: delete the statement, or recreate the object after it."
  );
}

// ---------------------------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const dir = resolve(process.argv[2] ?? join(root, "prisma/migrations"));
  const show = (path: string) =>
    relative(process.cwd(), path).startsWith("..") ? path : relative(process.cwd(), path);
  const problems = checkMigrations(dir);
  for (const p of problems) console.error(`${show(p.file)}:${p.line}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`check-migrations: ${problems.length} problem(s) in ${show(dir)}`);
    process.exit(1);
  }
  console.log(`check-migrations: ${show(dir)} OK`);
}
