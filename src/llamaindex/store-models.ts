import { SchemaMismatchError } from "../errors.ts";
import { type ClientDefault, modelDefaults } from "../schema/client-defaults.ts";
import { readMarkings } from "../schema/markings.ts";
import { type ModelMeta, modelOf, type ScalarField, type StoreSchema, type TableMeta } from "../schema/model-meta.ts";
import { type SchemaModel, schemaModels } from "../schema/schema-models.ts";
import { prismaFills } from "../write/default-values.ts";

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
  /** Fields the store does not write that Prisma fills on create (`uuid()`, `now()`, `@updatedAt`, literals). */
  readonly filled: readonly DefaultFill[];
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
  readonly filled: readonly DefaultFill[];
}

/** A field the store's INSERT fills as Prisma would, and how (see src/write/default-values.ts). */
export interface DefaultFill {
  readonly field: ScalarField;
  readonly fill: ClientDefault;
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
 * `schemaText` (the client's own) gives `@default`s and `@updatedAt`s (read by
 * src/schema/client-defaults.ts, as for the fast `createMany`); without it, the bundled shape is
 * assumed.
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
  const defaultsOf = (table: TableMeta) => fieldDefaults(schemaText, table);
  const refDocText = refDocTable ? markedText(schema, schemaText, refDocTable) : [];
  const refDocWritten = refDocTable && {
    id: refDocTable.idField!,
    text: refDocText,
    title: typed(refDocTable, "title", "String"),
    metadata: typed(refDocTable, "metadata", "Json"),
  };
  const refDocs = refDocTable &&
    refDocWritten && {
      model: refDocTable,
      ...refDocWritten,
      filled: prismaFilled(refDocTable, defaultsOf(refDocTable), written(refDocWritten)),
    };
  const nodeWritten = link &&
    text &&
    metadata && {
      text,
      metadata,
      refDocKey: link.key,
      label: typed(model, "label", "String"),
      page: typed(model, "page", "Int"),
    };
  const nodeFields = nodeWritten && [
    model.idField,
    model.payloadField,
    model.embeddingModelField,
    ...written(nodeWritten),
  ];
  const nodes = nodeWritten &&
    nodeFields && { model, ...nodeWritten, filled: prismaFilled(model, defaultsOf(model), nodeFields) };
  if (parsed !== undefined && nodes && nodeFields && refDocs) {
    unfilled(parsed, model, defaultsOf(model), nodeFields).forEach((f) => {
      refuse(`${n}.${f} is required and has no database default, and LlamaIndex nodes have no value for it`);
    });
    unfilled(parsed, refDocs.model, defaultsOf(refDocs.model), written(refDocWritten)).forEach((f) => {
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

/** The fields of an object of fields (undefined ones and lists of them flattened). */
function written(fields: Record<string, ScalarField | readonly ScalarField[] | undefined>): ScalarField[] {
  return Object.values(fields).flatMap((f) => f ?? []);
}

/**
 * The model's `@default`s and `@updatedAt`s from the client's schema text; without the text,
 * the bundled models' shape: an `updatedAt` field is `@updatedAt`.
 */
function fieldDefaults(schemaText: string | undefined, table: TableMeta): ReadonlyMap<string, ClientDefault> {
  if (schemaText !== undefined) return modelDefaults(schemaText, table.name) ?? new Map();
  return new Map(table.fields.has("updatedAt") ? [["updatedAt", { kind: "updatedAt" } as const]] : []);
}

/** The fields the store does not write that Prisma fills on create, with how it fills them. */
function prismaFilled(
  table: TableMeta,
  defaults: ReadonlyMap<string, ClientDefault>,
  writes: readonly ScalarField[],
): DefaultFill[] {
  const set = new Set(writes.map((f) => f.name));
  return [...defaults].flatMap(([name, fill]) => {
    const field = table.fields.get(name);
    return field && !field.isList && !set.has(name) && prismaFills(fill) ? [{ field, fill }] : [];
  });
}

/** Required fields the store's INSERT leaves out and neither it nor the database fills. */
function unfilled(
  models: readonly SchemaModel[],
  table: TableMeta,
  defaults: ReadonlyMap<string, ClientDefault>,
  writes: readonly ScalarField[],
): string[] {
  const parsed = models.find((m) => m.name === table.name);
  const relation = new Set(models.map((m) => m.name));
  const set = new Set(writes.map((f) => f.name));
  return (parsed?.fields ?? [])
    .filter((f) => !f.optional && !f.list && !relation.has(f.type) && !set.has(f.name))
    .filter((f) => {
      const fill = defaults.get(f.name);
      return fill === undefined || fill.kind === "unsupported";
    })
    .map((f) => f.name);
}
