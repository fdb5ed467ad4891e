import { SchemaMismatchError } from "../errors.ts";
import { SEARCH_VECTOR_COLUMN } from "./hybrid-sql.ts";
import type { VectorMarking } from "./markings.ts";

/** The two models the library embeds and searches: `$reembed({ models })` takes these names. */
export type ModelName = "Document" | "Annotation";
export const MODEL_NAMES: readonly ModelName[] = ["Document", "Annotation"];

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
}

/** A model as the library sees it: table, filterable columns, and the columns it writes itself. */
export interface ModelMeta {
  readonly name: ModelName;
  readonly table: string;
  /** The table's PostgreSQL schema (the driver adapter's `schema` option); undefined: the search path. */
  readonly schema: string | undefined;
  readonly fields: ReadonlyMap<string, ScalarField>;
  /** The text that is embedded and full-text indexed. */
  readonly textField: ScalarField;
  readonly idField: ScalarField;
  readonly embeddingModelField: ScalarField;
  readonly payloadField: ScalarField;
  readonly contentHashField: ScalarField;
  /** Columns outside Prisma's schema language, created by the bundled migrations. */
  readonly embeddingColumn: string;
  readonly searchVectorColumn: string;
}

export interface StoreSchema {
  readonly Document: ModelMeta;
  readonly Annotation: ModelMeta;
  /** Column of `Annotation.documentId`, the foreign key the relation filter joins on. */
  readonly documentForeignKey: ScalarField;
}

/** Fields the library reads or writes; a schema without them cannot work. */
const REQUIRED = {
  Document: { id: "id", text: "content", extra: [] as string[] },
  Annotation: { id: "id", text: "rawText", extra: ["documentId"] },
} as const;

/** The shape of one model in Prisma's runtime data model or DMMF (the parts we read). */
export interface DataModelField {
  name: string;
  kind: string;
  type: string;
  dbName?: string | null;
  isList?: boolean;
}
export interface DataModel {
  models: Record<string, { dbName?: string | null; fields: readonly DataModelField[] } | undefined>;
}

const SCALARS = new Set(["String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json"]);

/**
 * Builds the library's view of the user's models, with their `@map`/`@@map` names, in `schema`
 * (see readAdapterSchema) when the client's tables are not on the search path. A model's
 * `/// @embed` marking (see readClientMarkings), when it has one, names its text, vector,
 * payload, model and hash fields; without one, the fields of the bundled schema are assumed.
 */
export function buildStoreSchema(
  dataModel: DataModel,
  schema?: string,
  markings?: readonly VectorMarking[],
): StoreSchema {
  const document = buildModel("Document", dataModel, schema, markings);
  const annotation = buildModel("Annotation", dataModel, schema, markings);
  return { Document: document, Annotation: annotation, documentForeignKey: field(annotation, "documentId") };
}

function buildModel(
  name: ModelName,
  dataModel: DataModel,
  schema: string | undefined,
  markings: readonly VectorMarking[] | undefined,
): ModelMeta {
  const model = dataModel.models[name];
  if (!model) {
    throw new SchemaMismatchError(
      `The Prisma client has no model "${name}". Add the models from prisma-hybrid-store's ` +
        "schema.prisma to your schema (or run `npx prisma-hybrid-store init`) and regenerate the client.",
    );
  }
  const fields = new Map<string, ScalarField>();
  for (const f of model.fields) {
    if (f.kind !== "scalar" && f.kind !== "enum") continue;
    if (f.kind === "scalar" && !SCALARS.has(f.type)) continue;
    const type = (f.kind === "enum" ? "Enum" : f.type) as ScalarType;
    fields.set(f.name, { name: f.name, column: f.dbName ?? f.name, type, isList: f.isList ?? false });
  }
  const spec = REQUIRED[name];
  const marking = modelMarking(name, markings);
  const meta: ModelMeta = {
    name,
    table: model.dbName ?? name,
    schema,
    fields,
    textField: requireField(name, fields, marking?.sources[0]?.name ?? spec.text),
    idField: requireField(name, fields, spec.id),
    embeddingModelField: requireField(name, fields, marking?.modelField.name ?? "embeddingModel"),
    payloadField: requireField(name, fields, marking?.payload.name ?? "embeddingPayload"),
    contentHashField: requireField(name, fields, marking?.hash?.name ?? "contentHash"),
    embeddingColumn: marking?.column ?? "embedding",
    searchVectorColumn: SEARCH_VECTOR_COLUMN,
  };
  for (const extra of spec.extra) requireField(name, fields, extra);
  return meta;
}

/** The model's one marking; what the extension cannot serve yet is refused by name. */
function modelMarking(name: ModelName, markings: readonly VectorMarking[] | undefined): VectorMarking | undefined {
  const mine = markings?.filter((m) => m.model === name) ?? [];
  const [marking] = mine;
  if (mine.length > 1) {
    throw new SchemaMismatchError(
      `Model "${name}" marks ${mine.length} vector fields with @embed; the extension searches one per model today.`,
    );
  }
  if (marking && marking.sources.length !== 1) {
    throw new SchemaMismatchError(
      `${name}.${marking.field} embeds ${marking.sources.length} fields; the extension embeds one field per model today.`,
    );
  }
  return marking;
}

function requireField(model: ModelName, fields: Map<string, ScalarField>, name: string): ScalarField {
  const f = fields.get(name);
  if (!f) {
    throw new SchemaMismatchError(
      `Model "${model}" has no field "${name}", which prisma-hybrid-store needs. ` +
        "Compare your model with prisma-hybrid-store's schema.prisma and regenerate the client.",
    );
  }
  return f;
}

/** A field the library knows exists (checked in buildStoreSchema). */
export function field(model: ModelMeta, name: string): ScalarField {
  const f = model.fields.get(name);
  if (!f) throw new SchemaMismatchError(`Model "${model.name}" has no field "${name}".`);
  return f;
}
