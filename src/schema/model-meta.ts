import { SchemaMismatchError } from "../errors.ts";
import { SEARCH_VECTOR_COLUMN } from "./hybrid-sql.ts";
import { DEFAULT_EMBEDDER, type VectorMarking } from "./markings.ts";
import { type RelationMap, readRelations } from "./relations.ts";
import type { SchemaModel } from "./schema-models.ts";

/** The name of a model with an `/// @embed` marking: `$reembed({ models })` takes these names. */
export type ModelName = string;

/** The two models of prisma-hybrid-store's own schema.prisma (the LlamaIndex store's tables). */
export type BundledModelName = "Document" | "Annotation";
export const BUNDLED_MODELS: readonly BundledModelName[] = ["Document", "Annotation"];

/** Dimensions of the `embedding` columns the bundled migrations create (`vector(384)`). */
export const VECTOR_DIMENSIONS = 384;

/** Scalar types a filter can compare; everything else in a Prisma model is not filterable. */
export type ScalarType = "String" | "Int" | "BigInt" | "Float" | "Decimal" | "Boolean" | "DateTime" | "Json" | "Enum";

export interface ScalarField {
  readonly name: string;
  /** Column name in the database (differs from `name` with `@map`). */
  readonly column: string;
  readonly type: ScalarType;
  readonly isList: boolean;
  /** Whether the field is optional (`Int?`): Prisma refuses `null` in a filter of a required one. */
  readonly nullable: boolean;
}

/** Any model of the client: its table and filterable columns (what a relation filter reads). */
export interface TableMeta {
  readonly name: string;
  readonly table: string;
  /** The table's PostgreSQL schema (`@@schema`, else the driver adapter's `schema` option); undefined: the search path. */
  readonly schema: string | undefined;
  readonly fields: ReadonlyMap<string, ScalarField>;
  /** The `@id` field; undefined for a model without a single-field id. */
  readonly idField: ScalarField | undefined;
}

/** One marked vector field of a model: the text it embeds, its embedder and its columns. */
export interface VectorMeta {
  /** The vector field's name in the schema (`embedding`, `bodyVector`): what `vectorField` names. */
  readonly vectorField: string;
  /** The fields whose text is embedded, joined with a space (NULLs skipped). */
  readonly textFields: readonly ScalarField[];
  /** The first of `textFields`. */
  readonly textField: ScalarField;
  readonly embeddingModelField: ScalarField;
  readonly payloadField: ScalarField;
  readonly contentHashField: ScalarField | undefined;
  /** The vector column, outside Prisma's schema language, created by the migrations (bundled or generated). */
  readonly embeddingColumn: string;
  /** The embedder key of the marking (`"default"` unless it names one). */
  readonly embedder: string;
}

/**
 * A model the library embeds and searches. Its {@link VectorMeta} fields are those of one vector:
 * the first marked one, or the one {@link vectorOf} chose, so searches, plans and calibration
 * take one ModelMeta whatever the number of vectors.
 */
export interface ModelMeta extends TableMeta, VectorMeta {
  readonly idField: ScalarField;
  /**
   * The generated full-text column (the model's first marking's `fullText`); undefined when that
   * marking says `fullText: []`, so the model has none (see {@link fullTextColumn}).
   */
  readonly searchVectorColumn: string | undefined;
  /** Every marked vector of the model, in schema order (at least one). */
  readonly vectors: readonly VectorMeta[];
}

export interface StoreSchema {
  /** The embedded and searched models, by name. */
  readonly models: ReadonlyMap<string, ModelMeta>;
  /** Every model of the client, by name: the targets of relation filters. */
  readonly tables: ReadonlyMap<string, TableMeta>;
  /** The relation fields a filter or a nested write may follow. */
  readonly relations: RelationMap;
  /** The bundled models (for the LlamaIndex store); throw SchemaMismatchError when absent. */
  readonly Document: ModelMeta;
  readonly Annotation: ModelMeta;
  /** Column of `Annotation.documentId`, the bundled pair's foreign key. */
  readonly documentForeignKey: ScalarField;
  /** Whether the client has the bundled Document/Annotation pair, related by `annotations`/`documentId`. */
  readonly hasBundledPair: boolean;
}

/** Fields the library reads or writes on an unmarked bundled model (a schema from before markings). */
const BUNDLED = {
  Document: { text: "content", extra: [] as string[] },
  Annotation: { text: "rawText", extra: ["documentId"] },
} as const;

/** The shape of one model in Prisma's runtime data model or DMMF (the parts we read). */
export interface DataModelField {
  name: string;
  kind: string;
  type: string;
  dbName?: string | null;
  isList?: boolean;
  isId?: boolean;
  /** DMMF only; the runtime data model leaves it out (the schema text has it). */
  isRequired?: boolean;
  relationName?: string | null;
}
export interface DataModel {
  models: Record<string, { dbName?: string | null; fields: readonly DataModelField[] } | undefined>;
}

const SCALARS = new Set(["String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json"]);

/**
 * Builds the library's view of the user's models, with their `@map`/`@@map` names, in `schema`
 * (see readAdapterSchema) when the client's tables are not on the search path. Every model with
 * an `/// @embed` marking (see readClientMarkings) is embedded and searched, each of its marked
 * vector fields in `ModelMeta.vectors`. `Document` and
 * `Annotation` without markings (a schema copied before markings existed) take the bundled
 * field names; with no markings at all they are required, as in the bundled schema. `parsed`,
 * the client's schema text read by schemaModels, gives ids and relation keys (the runtime data
 * model has neither).
 */
export function buildStoreSchema(
  dataModel: DataModel,
  schema?: string,
  markings?: readonly VectorMarking[],
  parsed?: readonly SchemaModel[],
): StoreSchema {
  const tables = new Map<string, TableMeta>();
  for (const [name, model] of Object.entries(dataModel.models)) {
    if (model) tables.set(name, buildTable(name, model, schema, parsed));
  }
  const legacy = !markings || markings.length === 0;
  if (legacy) for (const name of BUNDLED_MODELS) if (!tables.has(name)) missingModel(name);
  const models = new Map<string, ModelMeta>();
  for (const table of tables.values()) {
    const mine = markings?.filter((m) => m.model === table.name) ?? [];
    if (mine.length > 0) models.set(table.name, fromMarkings(table, mine));
    else if (isBundled(table.name) && (legacy || hasBundledFields(table))) {
      models.set(table.name, fromBundled(table, table.name));
    }
  }
  const relations = readRelations(dataModel, tables, parsed);
  const bundled = (name: BundledModelName): ModelMeta => models.get(name) ?? missingModel(name);
  const documentKey = () => {
    const annotation = bundled("Annotation");
    return requireField(annotation.name, annotation.fields, "documentId");
  };
  const hasBundledPair =
    models.has("Document") &&
    models.get("Annotation")?.fields.has("documentId") === true &&
    relations.get("Document")?.get("annotations")?.target === "Annotation";
  if (legacy) documentKey();
  return {
    models,
    tables,
    relations,
    get Document() {
      return bundled("Document");
    },
    get Annotation() {
      return bundled("Annotation");
    },
    get documentForeignKey() {
      return documentKey();
    },
    hasBundledPair,
  };
}

/** The model, if it is marked (or a bundled one); a typed error naming what to do otherwise. */
export function modelOf(schema: StoreSchema, name: string): ModelMeta {
  const model = schema.models.get(name);
  if (model) return model;
  throw new SchemaMismatchError(
    schema.tables.has(name)
      ? `Model "${name}" has no /// @embed marking: mark its vector field (docs/your-models.md) and regenerate the client.`
      : `The Prisma client has no model "${name}".`,
  );
}

const isBundled = (name: string): name is BundledModelName => BUNDLED_MODELS.includes(name as BundledModelName);

function missingModel(name: string): never {
  throw new SchemaMismatchError(
    `The Prisma client has no model "${name}". Add the models from prisma-hybrid-store's ` +
      "schema.prisma to your schema (or run `npx prisma-hybrid-store init`) and regenerate the client.",
  );
}

function buildTable(
  name: string,
  model: { dbName?: string | null; fields: readonly DataModelField[] },
  schema: string | undefined,
  parsed: readonly SchemaModel[] | undefined,
): TableMeta {
  const fields = new Map<string, ScalarField>();
  const text = parsed?.find((m) => m.name === name);
  for (const f of model.fields) {
    if (f.kind !== "scalar" && f.kind !== "enum") continue;
    if (f.kind === "scalar" && !SCALARS.has(f.type)) continue;
    const type = (f.kind === "enum" ? "Enum" : f.type) as ScalarType;
    // Unknown (no DMMF, no schema text): nullable, so a null filter is not refused.
    const required = f.isRequired ?? (text && text.fields.find((x) => x.name === f.name)?.optional === false);
    fields.set(f.name, {
      name: f.name,
      column: f.dbName ?? f.name,
      type,
      isList: f.isList ?? false,
      nullable: required !== true,
    });
  }
  // The DMMF says isId; the runtime data model does not, the schema text does (`@id`).
  const idName =
    model.fields.find((f) => f.isId)?.name ??
    text?.fields.find((f) => /(^|\s)@id\b/.test(f.attributes))?.name ??
    (fields.has("id") ? "id" : undefined);
  return {
    name,
    table: model.dbName ?? name,
    schema: text?.dbSchema ?? schema,
    fields,
    idField: idName === undefined ? undefined : fields.get(idName),
  };
}

function hasBundledFields(table: TableMeta): boolean {
  const spec = BUNDLED[table.name as BundledModelName];
  return [spec.text, "embeddingModel", "embeddingPayload", ...spec.extra].every((f) => table.fields.has(f));
}

function fromBundled(table: TableMeta, name: BundledModelName): ModelMeta {
  const spec = BUNDLED[name];
  for (const extra of spec.extra) requireField(name, table.fields, extra);
  const text = requireField(name, table.fields, spec.text);
  const vector: VectorMeta = {
    vectorField: "embedding",
    textFields: [text],
    textField: text,
    embeddingModelField: requireField(name, table.fields, "embeddingModel"),
    payloadField: requireField(name, table.fields, "embeddingPayload"),
    contentHashField: requireField(name, table.fields, "contentHash"),
    embeddingColumn: "embedding",
    embedder: DEFAULT_EMBEDDER,
  };
  return {
    ...table,
    ...vector,
    idField: requireField(name, table.fields, "id"),
    searchVectorColumn: SEARCH_VECTOR_COLUMN,
    vectors: [vector],
  };
}

/** A marked model: its first marking's vector in the flat fields, every marking in `vectors`. */
function fromMarkings(table: TableMeta, markings: readonly VectorMarking[]): ModelMeta {
  const name = table.name;
  if (!table.idField) {
    throw new SchemaMismatchError(
      `Model "${name}" is marked with @embed but has no single-field @id; the extension finds rows by one id field.`,
    );
  }
  const vectors = markings.map((marking): VectorMeta => {
    const textFields = marking.sources.map((s) => requireField(name, table.fields, s.name));
    return {
      vectorField: marking.field,
      textFields,
      textField: textFields[0]!,
      embeddingModelField: requireField(name, table.fields, marking.modelField.name),
      payloadField: requireField(name, table.fields, marking.payload.name),
      contentHashField: marking.hash && requireField(name, table.fields, marking.hash.name),
      embeddingColumn: marking.column,
      embedder: marking.embedder,
    };
  });
  return {
    ...table,
    ...vectors[0]!,
    idField: table.idField,
    schema: markings[0]!.dbSchema ?? table.schema,
    searchVectorColumn: markings[0]!.fullText.length > 0 ? SEARCH_VECTOR_COLUMN : undefined,
    vectors,
  };
}

function requireField(model: string, fields: ReadonlyMap<string, ScalarField>, name: string): ScalarField {
  const f = fields.get(name);
  if (!f) {
    throw new SchemaMismatchError(
      `Model "${model}" has no field "${name}", which prisma-hybrid-store needs. ` +
        "Compare your model with prisma-hybrid-store's schema.prisma and regenerate the client.",
    );
  }
  return f;
}

/**
 * The model's full-text column, for textSearch and hybridSearch.
 *
 * @throws SchemaMismatchError when its marking says `fullText: []`: without this, the search
 *   would reach PostgreSQL and fail there on a column that does not exist.
 */
export function fullTextColumn(model: ModelMeta): string {
  if (model.searchVectorColumn !== undefined) return model.searchVectorColumn;
  throw new SchemaMismatchError(
    `Model "${model.name}" has no full-text column: its first @embed marking says fullText: []. ` +
      "Name the String fields to search there (fullText: [a, b]), run generate and migrate, or use similaritySearch.",
  );
}

/** A field the library knows exists (checked in buildStoreSchema). */
export function field(model: TableMeta, name: string): ScalarField {
  const f = model.fields.get(name);
  if (!f) throw new SchemaMismatchError(`Model "${model.name}" has no field "${name}".`);
  return f;
}
