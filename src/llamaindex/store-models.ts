import { SchemaMismatchError } from "../errors.ts";
import { type ClientDefault, modelDefaults } from "../schema/client-defaults.ts";
import { readMarkings } from "../schema/markings.ts";
import { type ModelMeta, modelOf, type ScalarField, type StoreSchema, type TableMeta } from "../schema/model-meta.ts";
import { type SchemaModel, schemaModels } from "../schema/schema-models.ts";

/** The node model (a marked model) and the columns the store fills on it. */
export interface NodeModel {
  readonly model: ModelMeta;
  /** Holds a node's text: one of the fields the model's `@embed` marking embeds. */
  readonly text: ScalarField;
  /** Json field with the node's metadata and what LlamaIndex needs to rebuild it (`_node_content`). */
  readonly metadata: ScalarField;
  /** The String foreign key to the ref doc model's id. */
  readonly refDocKey: ScalarField;
  /** `label` (String) and `page` (Int) fields, when the model has them: filled from the same metadata keys. */
  readonly label: ScalarField | undefined;
  readonly page: ScalarField | undefined;
  /** `@updatedAt` fields: Prisma fills them, so the store's SQL must too. */
  readonly updatedAt: readonly ScalarField[];
}

/** The ref doc model: a row per source document, created when a node names one that is missing. */
export interface RefDocModel {
  readonly model: TableMeta;
  readonly id: ScalarField;
  /** The text fields of its `@embed` marking, when marked: written "" (the store keeps no ref doc text). */
  readonly text: readonly ScalarField[];
  /** A String `title` field: the ref doc's `file_name`. */
  readonly title: ScalarField | undefined;
  /** A Json `metadata` field: the ref doc's metadata. */
  readonly metadata: ScalarField | undefined;
  readonly updatedAt: readonly ScalarField[];
}

/** The pair a LlamaIndex store writes and reads. */
export interface StoreModels {
  readonly nodes: NodeModel;
  readonly refDocs: RefDocModel;
}

/** Which models and fields, as the store's options name them (see PrismaHybridVectorStoreOptions). */
export interface StoreModelNames {
  readonly nodeModel: string;
  readonly refDocModel?: string | undefined;
  readonly textField?: string | undefined;
  readonly metadataField?: string | undefined;
}

/**
 * Reads the node/ref-doc pair from the client's models, or refuses it with every reason at once,
 * each naming the model and field: ids that are not Strings (LlamaIndex ids are), no or several
 * relations to a ref doc model, no Json field for metadata, a text field the marking does not
 * embed, a required field without a database default that the store's raw SQL would leave NULL.
 * `schemaText` (the client's own) gives `@default`s and `@updatedAt`s; without it, the bundled
 * shape is assumed.
 *
 * @throws SchemaMismatchError
 */
export function resolveStoreModels(
  schema: StoreSchema,
  schemaText: string | undefined,
  names: StoreModelNames,
): StoreModels {
  const model = modelOf(schema, names.nodeModel);
  const problems: string[] = [];
  const refuse = (message: string) => {
    problems.push(message);
    return undefined;
  };
  const n = model.name;
  if (names.refDocModel !== undefined && !schema.tables.has(names.refDocModel)) {
    throw new SchemaMismatchError(`refDocModel: the Prisma client has no model "${names.refDocModel}".`);
  }
  const link = refDocLink(schema, model, names.refDocModel, refuse);
  const refDocTable = link && schema.tables.get(link.target);
  const text = textField(model, names.textField, refuse);
  const metadata = metadataField(model, names.metadataField, refuse);
  if (model.idField.type !== "String") {
    refuse(
      `${n}.${model.idField.name} is ${model.idField.type}: LlamaIndex node ids are strings, so the node model needs a String @id`,
    );
  }
  if (refDocTable?.idField && refDocTable.idField.type !== "String") {
    refuse(
      `${refDocTable.name}.${refDocTable.idField.name} is ${refDocTable.idField.type}: LlamaIndex ref doc ids are strings, so the ref doc model needs a String @id`,
    );
  }
  const typed = (table: TableMeta, name: string, type: string) => {
    const f = table.fields.get(name);
    return f?.type === type && !f.isList ? f : undefined;
  };
  // The schema text's models, parsed once for every field read below.
  const parsed = schemaText === undefined ? undefined : schemaModels(schemaText);
  const refDocText = refDocTable ? markedText(schema, schemaText, refDocTable) : [];
  const refDocs = refDocTable && {
    model: refDocTable,
    id: refDocTable.idField!,
    text: refDocText,
    title: typed(refDocTable, "title", "String"),
    metadata: typed(refDocTable, "metadata", "Json"),
    updatedAt: updatedAtFields(parsed, refDocTable),
  };
  const nodes = link &&
    text &&
    metadata && {
      model,
      text,
      metadata,
      refDocKey: link.key,
      label: typed(model, "label", "String"),
      page: typed(model, "page", "Int"),
      updatedAt: updatedAtFields(parsed, model),
    };
  if (schemaText !== undefined && parsed !== undefined && nodes && refDocs) {
    const filled = [nodes.text, nodes.metadata, nodes.refDocKey, model.payloadField, model.embeddingModelField];
    unfilled(schemaText, parsed, model, [model.idField, ...filled]).forEach((f) => {
      refuse(`${n}.${f} is required and has no database default, and LlamaIndex nodes have no value for it`);
    });
    const refDocFilled = [refDocs.id, ...refDocs.text, ...(refDocs.metadata ? [refDocs.metadata] : [])];
    unfilled(schemaText, parsed, refDocs.model, refDocFilled).forEach((f) => {
      refuse(
        `${refDocs.model.name}.${f} is required and has no database default, so the store cannot create a ref doc row`,
      );
    });
  }
  if (problems.length > 0 || !nodes || !refDocs) {
    throw new SchemaMismatchError(
      `PrismaHybridVectorStore cannot store LlamaIndex nodes in model "${n}": ${problems.join("; ")}.`,
    );
  }
  return { nodes, refDocs };
}

/** The node model's one to-one relation to a model with a String key (to `refDocModel` when given). */
function refDocLink(
  schema: StoreSchema,
  model: ModelMeta,
  refDocModel: string | undefined,
  refuse: (message: string) => undefined,
): { target: string; key: ScalarField } | undefined {
  const links = [...(schema.relations.get(model.name) ?? new Map())].flatMap(([name, r]) => {
    const target = schema.tables.get(r.target);
    const join = r.join[0];
    if (r.toMany || r.join.length !== 1 || !target?.idField || join?.inner !== target.idField.column) return [];
    if (refDocModel !== undefined && r.target !== refDocModel) return [];
    const key = [...model.fields.values()].find((f) => f.column === join.outer);
    return key ? [{ name, target: r.target, key }] : [];
  });
  const to = refDocModel === undefined ? "another model's @id" : `${refDocModel}'s @id`;
  if (links.length === 0) {
    return refuse(
      `${model.name} has no relation to ${to} (e.g. \`document Document @relation(fields: [documentId], references: [id])\`): ` +
        "each node belongs to a ref doc row",
    );
  }
  if (links.length > 1) {
    const which = links.map((l) => `${l.name} -> ${l.target}`).join(", ");
    return refuse(
      `${model.name} has several relations that could lead to its ref docs (${which}): name the model with refDocModel`,
    );
  }
  const [link] = links as [(typeof links)[number]];
  if (link.key.type !== "String") {
    return refuse(
      `${model.name}.${link.key.name} is ${link.key.type}: it holds LlamaIndex ref doc ids, which are strings`,
    );
  }
  return link;
}

function textField(model: ModelMeta, name: string | undefined, refuse: (message: string) => undefined) {
  const embedded = model.textFields.map((f) => f.name).join(", ");
  if (name === undefined) {
    if (model.textFields.length === 1) return model.textField;
    return refuse(
      `${model.name}'s @embed marking embeds several fields (${embedded}): name the one that holds a node's text with textField`,
    );
  }
  return (
    model.textFields.find((f) => f.name === name) ??
    refuse(`textField "${name}" is not a field ${model.name}'s @embed marking embeds (${embedded})`)
  );
}

function metadataField(model: ModelMeta, name: string | undefined, refuse: (message: string) => undefined) {
  const json = [...model.fields.values()].filter((f) => f.type === "Json" && !f.isList);
  if (name !== undefined) {
    const f = model.fields.get(name);
    return f && json.includes(f)
      ? f
      : refuse(
          `metadataField "${name}" is ${f ? `${f.type}${f.isList ? "[]" : ""}` : "not a field"} of ${model.name}, not Json`,
        );
  }
  const found = json.find((f) => f.name === "metadata") ?? (json.length === 1 ? json[0] : undefined);
  if (found) return found;
  return refuse(
    json.length === 0
      ? `${model.name} has no Json field: the store keeps each node's metadata and relationships in one (add \`metadata Json @default("{}")\`)`
      : `${model.name} has several Json fields (${json.map((f) => f.name).join(", ")}): name the metadata one with metadataField`,
  );
}

/** The text fields of a ref doc model's marking (read whatever its embedder: the store never embeds them). */
function markedText(schema: StoreSchema, schemaText: string | undefined, table: TableMeta): readonly ScalarField[] {
  const known = schema.models.get(table.name)?.textFields;
  if (known || schemaText === undefined) return known ?? [];
  const { markings } = readMarkings(schemaText, new Map(), { models: [table.name], anyEmbedder: true });
  return (markings[0]?.sources ?? []).flatMap((s) => table.fields.get(s.name) ?? []);
}

function updatedAtFields(models: readonly SchemaModel[] | undefined, table: TableMeta): ScalarField[] {
  if (models === undefined) return [table.fields.get("updatedAt") ?? []].flat();
  const parsed = models.find((m) => m.name === table.name);
  return (parsed?.fields ?? [])
    .filter((f) => /(^|\s)@updatedAt\b/.test(f.attributes))
    .flatMap((f) => table.fields.get(f.name) ?? []);
}

/** Required columns the store's INSERT leaves out and the database cannot fill (no default, not `@updatedAt`). */
function unfilled(
  schemaText: string,
  models: readonly SchemaModel[],
  table: TableMeta,
  filled: readonly ScalarField[],
): string[] {
  const parsed = models.find((m) => m.name === table.name);
  const defaults = modelDefaults(schemaText, table.name) ?? new Map<string, ClientDefault>();
  const relation = new Set(models.map((m) => m.name));
  const set = new Set(filled.map((f) => f.name));
  return (parsed?.fields ?? [])
    .filter((f) => !f.optional && !f.list && !relation.has(f.type) && !set.has(f.name))
    .filter((f) => !/(^|\s)@updatedAt\b/.test(f.attributes) && !databaseDefault(defaults.get(f.name)))
    .map((f) => f.name);
}

/** Defaults the migration puts in the column (`uuid()` and the like are Prisma's, made in the client). */
const databaseDefault = (d: ClientDefault | undefined) =>
  d?.kind === "database" || d?.kind === "value" || d?.kind === "now";
