import type { DataModel, TableMeta } from "./model-meta.ts";
import type { SchemaModel } from "./schema-models.ts";

/** Two columns a relation joins on: `outer` on the model filtered, `inner` on the related one. */
export interface JoinColumns {
  readonly outer: string;
  readonly inner: string;
}

/** A relation field a filter or a nested write may follow: `Review.product`, `Product.reviews`. */
export interface RelationField {
  readonly target: string;
  readonly toMany: boolean;
  readonly join: readonly JoinColumns[];
}

/** Relation fields by model and field name. */
export type RelationMap = ReadonlyMap<string, ReadonlyMap<string, RelationField>>;

const RELATION_KEYS = /@relation\(([^)]*)\)/;

/**
 * Reads the relation fields of every model. The runtime data model names each relation field,
 * its target and its `relationName`, not its keys: those come from the `@relation(fields,
 * references)` of the client's schema text (`parsed`). Without schema text, only the bundled
 * `Annotation.documentId -> Document.id` relation is known.
 */
export function readRelations(
  dataModel: DataModel,
  tables: ReadonlyMap<string, TableMeta>,
  parsed: readonly SchemaModel[] | undefined,
): RelationMap {
  const out = new Map<string, Map<string, RelationField>>();
  for (const name of tables.keys()) out.set(name, new Map());
  for (const [name, model] of Object.entries(dataModel.models)) {
    for (const f of model?.fields ?? []) {
      if (f.kind !== "object" || !tables.has(f.type)) continue;
      const found = parsed
        ? fromSchemaText(name, f.name, f.type, f.relationName ?? undefined, tables, parsed)
        : bundledRelation(name, f.type, tables);
      if (found) out.get(name)!.set(f.name, found);
    }
  }
  return out;
}

function fromSchemaText(
  model: string,
  fieldName: string,
  target: string,
  relationName: string | undefined,
  tables: ReadonlyMap<string, TableMeta>,
  parsed: readonly SchemaModel[],
): RelationField | undefined {
  const self = parsed.find((m) => m.name === model)?.fields.find((f) => f.name === fieldName);
  if (!self) return undefined;
  const keys = relationKeys(self.attributes);
  if (keys) {
    const join = pairs(keys, tables.get(model)!, tables.get(target)!, false);
    return join && { target, toMany: false, join };
  }
  // The back side: the keys are on the other model's field of the same relation.
  const other = parsed
    .find((m) => m.name === target)
    ?.fields.find(
      (f) =>
        f.type === model &&
        !(target === model && f.name === fieldName) &&
        relationKeys(f.attributes) !== undefined &&
        (relationName === undefined || (relationNameOf(f.attributes) ?? defaultName(model, target)) === relationName),
    );
  if (!other) return undefined;
  const join = pairs(relationKeys(other.attributes)!, tables.get(target)!, tables.get(model)!, true);
  return join && { target, toMany: self.list, join };
}

/** Prisma's name for an unnamed relation: the two model names, sorted, joined by "To". */
const defaultName = (a: string, b: string) => [a, b].sort().join("To");

function relationNameOf(attributes: string): string | undefined {
  const body = RELATION_KEYS.exec(attributes)?.[1];
  if (body === undefined) return undefined;
  return /^\s*"([^"]+)"/.exec(body)?.[1] ?? /name\s*:\s*"([^"]+)"/.exec(body)?.[1];
}

function relationKeys(attributes: string): { fields: string[]; references: string[] } | undefined {
  const body = RELATION_KEYS.exec(attributes)?.[1];
  const list = (key: string) =>
    body === undefined
      ? undefined
      : new RegExp(`\\b${key}\\s*:\\s*\\[([^\\]]*)\\]`)
          .exec(body)?.[1]
          ?.split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "");
  const fields = list("fields");
  const references = list("references");
  return fields && references && fields.length === references.length ? { fields, references } : undefined;
}

/** Join columns for keys declared on `owner` (fields) pointing at `referenced` (references). */
function pairs(
  keys: { fields: string[]; references: string[] },
  owner: TableMeta,
  referenced: TableMeta,
  backSide: boolean,
): JoinColumns[] | undefined {
  const join: JoinColumns[] = [];
  for (const [i, name] of keys.fields.entries()) {
    const local = owner.fields.get(name);
    const remote = referenced.fields.get(keys.references[i]!);
    if (!local || !remote) return undefined;
    join.push(backSide ? { outer: remote.column, inner: local.column } : { outer: local.column, inner: remote.column });
  }
  return join;
}

/** Without schema text: the bundled relation, `Annotation.documentId = Document.id`. */
function bundledRelation(model: string, target: string, tables: ReadonlyMap<string, TableMeta>) {
  const document = tables.get("Document");
  const key = tables.get("Annotation")?.fields.get("documentId");
  const id = document?.idField;
  if (!key || !id) return undefined;
  if (model === "Annotation" && target === "Document") {
    return { target, toMany: false, join: [{ outer: key.column, inner: id.column }] };
  }
  if (model === "Document" && target === "Annotation") {
    return { target, toMany: true, join: [{ outer: id.column, inner: key.column }] };
  }
  return undefined;
}
