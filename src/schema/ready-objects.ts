import { objectName, SEARCH_VECTOR_COLUMN } from "./hybrid-sql.ts";
import type { VectorMarking } from "./markings.ts";
import { schemaModels } from "./schema-models.ts";

/** An index a marked table should have: searches work without it, but scan the whole table. */
export interface ReadyIndex {
  /** The name `generate` gives it; an index of another name that does the same job counts. */
  readonly name: string;
  readonly method: "hnsw" | "gin";
  readonly column: string;
}

/**
 * What a database must hold for one marked model before the library can work on it: the table
 * with the schema's columns, each marking's write path, and the indexes. Derived from the same
 * markings and names `generate` writes its migration from, so the two agree on every name.
 */
export interface ReadyTable {
  readonly model: string;
  readonly table: string;
  /** The model's `@@schema`; undefined: the client's own schema (adapter option or search path). */
  readonly dbSchema: string | undefined;
  /** Every scalar column of the model, the generated full-text column included when it has one. */
  readonly columns: readonly string[];
  /** Vector columns and their `vector(N)` type, as the schema declares them. */
  readonly vectors: readonly { readonly column: string; readonly type: string }[];
  /** One per marking: a trigger that moves the payload into the vector column. */
  readonly writePaths: readonly VectorMarking[];
  readonly indexes: readonly ReadyIndex[];
}

/** The marked models of `schema` (its text), with what each needs in the database, in schema order. */
export function readyTables(schema: string, markings: readonly VectorMarking[]): ReadyTable[] {
  const models = schemaModels(schema);
  const modelNames = new Set(models.map((m) => m.name));
  return models.flatMap((model) => {
    const marked = markings.filter((m) => m.model === model.name);
    if (marked.length === 0) return [];
    // Relation fields name another model; they have no column of their own.
    const columns = model.fields.filter((f) => !modelNames.has(f.type)).map((f) => f.column);
    const fullText = marked.some((m) => m.fullText.length > 0);
    if (fullText && !columns.includes(SEARCH_VECTOR_COLUMN)) columns.push(SEARCH_VECTOR_COLUMN);
    const indexes: ReadyIndex[] = marked.map((m) => ({
      name: objectName(m, "hnsw"),
      method: "hnsw",
      column: m.column,
    }));
    const first = marked.find((m) => m.fullText.length > 0);
    if (first) indexes.push({ name: objectName(first, "gin"), method: "gin", column: SEARCH_VECTOR_COLUMN });
    return [
      {
        model: model.name,
        table: model.table,
        dbSchema: model.dbSchema,
        columns,
        vectors: marked.map((m) => ({ column: m.column, type: `vector(${m.dimensions})` })),
        writePaths: marked,
        indexes,
      },
    ];
  });
}
