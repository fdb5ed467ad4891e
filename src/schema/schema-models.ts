import { schemaBlocks, stripComment } from "./schema-blocks.ts";

/** One field line of a `model` block, as written in the schema text. */
export interface SchemaField {
  readonly name: string;
  /** `String`, `Int`, a model or enum name, or `Unsupported("vector(384)")` as written. */
  readonly type: string;
  /** Column name: the `@map("...")` argument, else the field name. */
  readonly column: string;
  readonly optional: boolean;
  readonly list: boolean;
  /** What follows the type: the field's attributes (`@id @default(now())`), trimmed. */
  readonly attributes: string;
  /** The `///` doc comment lines just above the field, without the slashes. */
  readonly docs: readonly string[];
  /** 1-based line of the field inside its model block, for messages. */
  readonly line: number;
}

/** One `model` block of a schema: its fields and table (with `@@map` and `@@schema`). */
export interface SchemaModel {
  readonly name: string;
  readonly table: string;
  /** The `@@schema("...")` argument, when the model names one. */
  readonly dbSchema: string | undefined;
  readonly fields: readonly SchemaField[];
}

const FIELD = /^(\w+)\s+(Unsupported\(\s*"[^"]*"\s*\)|[\w.]+)(\[\]|\?)?(.*)$/;
const MAP = /@map\(\s*(?:name\s*:\s*)?"([^"]+)"/;

/**
 * The models of a schema text (one file, or several files concatenated). Reads the text Prisma
 * reads, so the same function serves `generate` (the schema files) and, later, the client's own
 * inline schema. Lines it does not recognise as fields (block attributes, blank lines) are skipped.
 */
export function schemaModels(schema: string): SchemaModel[] {
  return schemaBlocks(schema)
    .filter((b) => b.kind === "model")
    .map((block) => {
      const lines = block.text.split("\n");
      const open = lines.findIndex((l) => /^\s*model\s/.test(l));
      const fields: SchemaField[] = [];
      let docs: string[] = [];
      let table = block.name;
      let dbSchema: string | undefined;
      for (let i = open + 1; i < lines.length - 1; i++) {
        const raw = lines[i]!.trim();
        const doc = /^\/\/\/\s?(.*)$/.exec(raw);
        if (doc) {
          docs.push(doc[1]!);
          continue;
        }
        const line = stripComment(raw).trim();
        if (line.startsWith("@@")) {
          table = /^@@map\(\s*(?:name\s*:\s*)?"([^"]+)"/.exec(line)?.[1] ?? table;
          dbSchema = /^@@schema\(\s*"([^"]+)"/.exec(line)?.[1] ?? dbSchema;
        }
        const field = line.startsWith("@@") ? null : FIELD.exec(line);
        if (field) {
          const [, name, type, modifier, attributes] = field as unknown as [
            string,
            string,
            string,
            string | undefined,
            string,
          ];
          fields.push({
            name,
            type: type.replace(/\s+/g, ""),
            column: MAP.exec(attributes)?.[1] ?? name,
            optional: modifier === "?",
            list: modifier === "[]",
            attributes: attributes.trim(),
            docs,
            line: i - open + 1,
          });
        }
        if (line !== "") docs = [];
      }
      return { name: block.name, table, dbSchema, fields };
    });
}

/** `Unsupported("vector(384)")` -> 384; `Unsupported("vector")` -> null; other types -> undefined. */
export function vectorDimensions(type: string): number | null | undefined {
  const m = /^Unsupported\("vector(?:\((\d+)\))?"\)$/.exec(type);
  if (!m) return undefined;
  return m[1] === undefined ? null : Number(m[1]);
}

/**
 * Each model's `@@schema` (undefined for a model without one), for the runtime to qualify the
 * tables of models in other PostgreSQL schemas, related models included (they may be unmarked).
 * An explicit `@@schema` wins over the driver adapter's `schema` option, as in Prisma itself.
 */
export function modelDbSchemas(schema: string): ReadonlyMap<string, string | undefined> {
  return new Map(schemaModels(schema).map((m) => [m.name, m.dbSchema]));
}
