import { CitusTables } from "../db/citus-tables.ts";
import { connectionFailure } from "../db/connect.ts";
import type { RawClient } from "../db/execute.ts";
import { type ColumnInfo, readColumns } from "../db/table-columns.ts";
import { isPlainObject } from "../plain-object.ts";
import type { ClientDefault, ClientDefaults } from "../schema/client-defaults.ts";
import { type ModelMeta, modelOf, type ScalarField, type StoreSchema } from "../schema/model-meta.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { quoteTable } from "../sql/identifiers.ts";
import { type Insert, type InsertColumn, insertSql } from "../sql/insert.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { defaultValue, type Element, NO, prismaFills, timestampText } from "./default-values.ts";
import { compileNestedCreate } from "./nested-create.ts";
import { ReturnedRows } from "./returned-rows.ts";

/**
 * `createMany` as one `INSERT ... SELECT * FROM unnest($1::text[], $2::int4[], ...)`: one array
 * per column, whatever the number of rows.
 *
 * Prisma's own `createMany` spends more time than the INSERT itself on a batch of embedded rows
 * (its query compiler and SQL rendering work through every value, 5 KB of vector text per row;
 * see docs/benchmarks.md), so the save hook writes plain batches this way. It is one statement,
 * so all or nothing like Prisma's, and the embedding trigger fills the vector in it. Only what
 * it can write exactly as Prisma would takes this path: known scalar fields with plain values,
 * Prisma's `uuid()`, `now()`, `@updatedAt` and literal defaults filled the same way, columns
 * with a database default either set in every row or in none. Anything else (and any statement
 * the database rejects) goes to Prisma's `createMany`, which then reports its own errors.
 */
export class BulkCreate {
  readonly #columns = new Map<string, Promise<ReadonlyMap<string, ColumnInfo>>>();
  readonly #citus = new CitusTables();
  readonly #returnedRows = new ReturnedRows();

  constructor(
    private readonly client: RawClient,
    private readonly schema: StoreSchema,
    private readonly defaults: ClientDefaults,
  ) {}

  /** The number of rows written, or undefined when Prisma's `createMany` must write this one. */
  async run(model: string, args: unknown): Promise<number | undefined> {
    const meta = modelOf(this.schema, model);
    const defaults = this.defaults.get(model);
    if (!defaults) return undefined;
    const columns = await this.columns(model);
    if (!columns) return undefined;
    try {
      // Citus sends an INSERT ... SELECT through the coordinator: a VALUES list goes to the shards.
      const shape = (await this.#citus.kind(this.client, quoteTable(meta))) === "local" ? "unnest" : "values";
      const query = compileBulkCreate(meta, defaults, columns, args, new Date(), shape);
      if (!query) return undefined;
      return await this.client.$executeRawUnsafe(query.sql, ...query.params);
    } catch (error) {
      const unavailable = connectionFailure(error);
      if (unavailable) throw unavailable;
      return undefined; // nothing was written: one statement
    }
  }

  /**
   * `document.create` with nested annotations as one statement (see nested-create.ts), then the
   * row read back through `readBack` with the call's select/include/omit, so the result has
   * Prisma's shape. Undefined when Prisma must write it (nothing was written then).
   *
   * A call without select/include/omit gets the row from the statement itself, as long as that
   * row has proven to be what `readBack` returns: the first such call reads both and compares
   * them (deep, strict: types, prototypes, keys). A client whose results differ (a global `omit`,
   * computed fields of another extension, a field type the raw row returns otherwise) keeps
   * reading back. The read-back is a round trip and Prisma's query work, ~1.5 ms a document.
   */
  async createNested(args: unknown, readBack: (id: string, shape: Record<string, unknown>) => Promise<unknown>) {
    const [documents, annotations] = await Promise.all([this.columns("Document"), this.columns("Annotation")]);
    if (!documents || !annotations) return undefined;
    const relations = [quoteTable(this.schema.Document), quoteTable(this.schema.Annotation)];
    for (const relation of relations) if ((await this.#citus.kind(this.client, relation)) !== "local") return undefined;
    const nested = compileNestedCreate(
      this.schema,
      this.defaults,
      { Document: documents, Annotation: annotations },
      args,
      new Date(),
      !this.#returnedRows.differ,
    );
    if (!nested) return undefined;
    let row: unknown;
    try {
      if (nested.returnsRow) {
        [row] = await this.client.$queryRawUnsafe<unknown[]>(nested.query.sql, ...nested.query.params);
      } else {
        await this.client.$executeRawUnsafe(nested.query.sql, ...nested.query.params);
      }
    } catch (error) {
      const unavailable = connectionFailure(error);
      if (unavailable) throw unavailable;
      return undefined; // one statement: nothing was written
    }
    if (nested.returnsRow && this.#returnedRows.trusts(row)) return { value: row };
    const value = await readBack(nested.id, nested.shape);
    if (nested.returnsRow) this.#returnedRows.compare(row, value);
    return { value };
  }

  private async columns(model: string): Promise<ReadonlyMap<string, ColumnInfo> | undefined> {
    let found = this.#columns.get(model);
    if (!found) {
      found = readColumns(this.client, modelOf(this.schema, model));
      this.#columns.set(model, found);
    }
    try {
      return await found;
    } catch (error) {
      this.#columns.delete(model); // read again next time
      const unavailable = connectionFailure(error);
      if (unavailable) throw unavailable;
      return undefined;
    }
  }
}

type Row = Record<string, unknown>;

/** The statement for `createMany(args)`, or undefined when it must go through Prisma. */
export function compileBulkCreate(
  meta: ModelMeta,
  defaults: ReadonlyMap<string, ClientDefault>,
  columns: ReadonlyMap<string, ColumnInfo>,
  args: unknown,
  now: Date,
  shape: Insert["rows"] = "unnest",
): CompiledQuery | undefined {
  const params = new SqlParams();
  const sql = bulkCreateSql(params, meta, defaults, columns, args, now, shape);
  return sql === undefined ? undefined : params.finish(sql);
}

/**
 * The INSERT for `createMany(args)`, its values appended to `params` (nothing is appended when
 * it is undefined: the call must go through Prisma).
 */
export function bulkCreateSql(
  params: SqlParams,
  meta: ModelMeta,
  defaults: ReadonlyMap<string, ClientDefault>,
  columns: ReadonlyMap<string, ColumnInfo>,
  args: unknown,
  now: Date,
  shape: Insert["rows"],
): string | undefined {
  if (!isPlainObject(args)) return undefined;
  const { data, skipDuplicates, ...rest } = args;
  if (Object.values(rest).some((v) => v !== undefined)) return undefined;
  if (skipDuplicates !== undefined && typeof skipDuplicates !== "boolean") return undefined;
  const rows = Array.isArray(data) ? data : [data];
  if (rows.length === 0 || !rows.every(isPlainObject)) return undefined;

  const present = new Map<string, number>();
  for (const row of rows as Row[]) {
    for (const [key, value] of Object.entries(row)) {
      if (value === undefined) continue;
      if (!meta.fields.has(key)) return undefined; // Prisma names the unknown argument
      present.set(key, (present.get(key) ?? 0) + 1);
    }
  }

  const written: InsertColumn[] = [];
  const values: Element[][] = [];
  for (const [name, field] of meta.fields) {
    const count = present.get(name) ?? 0;
    const fill = defaults.get(name);
    if (count < rows.length && fill?.kind === "unsupported") return undefined;
    const filled = prismaFills(fill);
    if (count === 0 && !filled) continue; // the column's default, or NULL: what Prisma leaves it to
    const column = columns.get(field.column);
    if (!column || column.generated || field.isList) return undefined;
    // Prisma writes DEFAULT for the rows without it; one array cannot say "default".
    if (count < rows.length && !filled && column.hasDefault) return undefined;
    const cells = new Array<Element>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const value = (rows[i] as Row)[name];
      const element =
        value === undefined ? defaultValue(fill, field, now, column.type) : toElement(value, field, column);
      if (element === NO) return undefined;
      cells[i] = element;
    }
    written.push({ name: field.column, type: column.sqlType });
    values.push(cells);
  }
  if (written.length === 0) return undefined;
  return insertSql(params, {
    table: meta,
    columns: written,
    values,
    rows: shape,
    onConflict: skipDuplicates ? { action: "nothing" } : undefined,
  });
}

/** A value as the text PostgreSQL reads for the column's type; NO where Prisma must decide. */
function toElement(value: unknown, field: ScalarField, column: ColumnInfo): Element {
  if (value === null) return field.type === "Json" ? NO : null; // Json needs Prisma.JsonNull / DbNull
  switch (field.type) {
    case "String":
    case "Enum":
      return typeof value === "string" ? value : NO;
    case "Int":
      return typeof value === "number" && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31
        ? String(value)
        : NO;
    case "BigInt":
      return typeof value === "bigint" || Number.isSafeInteger(value) ? String(value) : NO;
    case "Float":
      return typeof value === "number" && Number.isFinite(value) ? String(value) : NO;
    case "Boolean":
      return typeof value === "boolean" ? String(value) : NO;
    case "DateTime":
      return value instanceof Date ? timestampText(value, column.type) : NO;
    case "Json":
      return json(value);
    default:
      return NO; // Decimal: Prisma's own rounding and types
  }
}

/**
 * JSON text for plain JSON only: strings, finite numbers, booleans, null, arrays and plain
 * objects, all the way down. Everything else (a nested Decimal, Date, Buffer or class instance,
 * `undefined` in an array, a function, a symbol) Prisma serializes in its own way or refuses, so
 * it decides: the stored value never depends on which path wrote it.
 */
function json(value: unknown): Element {
  return isPlainJson(value, 0) ? JSON.stringify(value) : NO;
}

// Deeper values go to Prisma rather than risk the stack here.
const MAX_JSON_DEPTH = 100;

function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      // Exponent forms (1e21, 5e-324) go to Prisma, which turns some of them (Number.MAX_VALUE) into null.
      return Number.isFinite(value) && !String(value).includes("e");
    case "object":
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_JSON_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
    return Object.getPrototypeOf(value) === Array.prototype;
  }
  // Prisma drops an own `__proto__` key (it copies by assignment); symbol keys it may not see.
  if (!isPlainObject(value) || Object.hasOwn(value, "__proto__") || Object.getOwnPropertySymbols(value).length > 0) {
    return false;
  }
  for (const item of Object.values(value)) if (!isPlainJson(item, depth + 1)) return false;
  return true;
}
