import type { ValidationIssue } from "../errors.ts";
import { schemaBlocks, stripComment } from "./schema-blocks.ts";
import { type SchemaField, type SchemaModel, schemaModels, vectorDimensions } from "./schema-models.ts";

/** The embedder a marking without `embedder:` uses: all-MiniLM-L6-v2, 384 dimensions. */
export const DEFAULT_EMBEDDER = "default";
export const DEFAULT_EMBEDDERS: ReadonlyMap<string, number> = new Map([[DEFAULT_EMBEDDER, 384]]);

/** HNSW in pgvector 0.8 indexes `vector` columns of at most 2000 dimensions. */
const HNSW_MAX_DIMENSIONS = 2000;

/**
 * One `Unsupported("vector(N)")` field marked with `/// @embed(from: ...)`: which text it embeds,
 * with which embedder, and the String fields the write path goes through.
 */
export interface VectorMarking {
  readonly model: string;
  readonly table: string;
  readonly dbSchema: string | undefined;
  readonly field: string;
  readonly column: string;
  readonly dimensions: number;
  /** The String fields whose text is embedded, in order (joined with a space, NULLs skipped). */
  readonly sources: readonly SchemaField[];
  /** The String fields of the model's full-text column; empty on every marking but the model's first. */
  readonly fullText: readonly SchemaField[];
  readonly embedder: string;
  /** Write-only String field the save hook sends the vector through (default `<field>Payload`). */
  readonly payload: SchemaField;
  /** String field naming the embedder model of the stored vector (default `<field>Model`). */
  readonly modelField: SchemaField;
  /** Optional String field the database keeps as md5 of the embedded text (`hash:`). */
  readonly hash: SchemaField | undefined;
}

/** What {@link readMarkings} read: the valid markings, or the issues (never both). */
export interface Markings {
  readonly markings: readonly VectorMarking[];
  /** Every problem found, one message each, with `[model, field]` as the path. */
  readonly issues: readonly ValidationIssue[];
}

const KEYS = new Set(["from", "fullText", "embedder", "payload", "model", "hash"]);

/**
 * Reads and checks every `@embed(...)` marking of a schema (of `options.models` only, when
 * given), with the dimensions of embedder keys besides the default's in `extraEmbedders` (a
 * `default` entry there replaces the default's 384; `options.anyEmbedder` takes every key at the
 * field's own dimensions, for readers such as checkDatabase that never embed). Nothing is guessed: a source that
 * is not a String field of the model, a vector whose dimensions differ from its embedder's, a
 * missing companion field, each is an issue, and a schema with issues yields no markings.
 *
 * @example
 * ```prisma
 * model Product {
 *   id                 Int     @id
 *   description        String
 *   /// @embed(from: description)
 *   embedding          Unsupported("vector(384)")?
 *   embeddingModel     String?
 *   embeddingPayload   String?
 * }
 * ```
 */
export function readMarkings(
  schema: string,
  extraEmbedders: ReadonlyMap<string, number> = new Map(),
  options: { models?: readonly string[]; anyEmbedder?: boolean } = {},
): Markings {
  const embedders = new Map([...DEFAULT_EMBEDDERS, ...extraEmbedders]);
  const markings: VectorMarking[] = [];
  const issues: ValidationIssue[] = [];
  for (const model of schemaModels(schema)) {
    if (options.models && !options.models.includes(model.name)) continue;
    for (const field of model.fields) {
      const docs = field.docs.filter((d) => /^\s*@embed\b/.test(d));
      if (docs.length === 0) continue;
      const fail = (message: string) => issues.push({ path: [model.name, field.name], message });
      if (docs.length > 1) {
        fail("has more than one @embed marking; keep one");
        continue;
      }
      const marking = readMarking(model, field, docs[0]!.trim(), options.anyEmbedder ? "any" : embedders, fail);
      if (marking) markings.push(marking);
    }
  }
  // One generated full-text column per model: the first marking's.
  const seen = new Set<string>();
  const result = markings.map((m) => {
    const first = !seen.has(m.model);
    seen.add(m.model);
    return first ? m : { ...m, fullText: [] };
  });
  if (result.length > 0) issues.push(...extensionIssues(schema));
  return { markings: issues.length > 0 ? [] : result, issues };
}

function readMarking(
  model: SchemaModel,
  field: SchemaField,
  doc: string,
  embedders: ReadonlyMap<string, number> | "any",
  fail: (message: string) => void,
): VectorMarking | undefined {
  const dimensions = vectorDimensions(field.type);
  if (dimensions === undefined) {
    fail(`is ${field.type}, not Unsupported("vector(N)"): @embed marks a vector field`);
    return undefined;
  }
  if (dimensions === null) {
    fail('has no dimensions: write Unsupported("vector(N)") with the embedder\'s N');
    return undefined;
  }
  const args = parseArgs(doc);
  if (typeof args === "string") {
    fail(`@embed: ${args}`);
    return undefined;
  }
  let ok = true;
  const problem = (message: string) => {
    ok = false;
    fail(message);
  };
  for (const key of args.keys()) if (!KEYS.has(key)) problem(`@embed: unknown argument "${key}"`);
  const stringFields = (key: string, names: readonly string[]): SchemaField[] =>
    names.flatMap((name) => {
      const source = model.fields.find((f) => f.name === name);
      if (!source) problem(`@embed(${key}: ${name}): model ${model.name} has no field "${name}"`);
      else if (source.type !== "String" || source.list) {
        problem(
          `@embed(${key}: ${name}): ${model.name}.${name} is ${source.type}${source.list ? "[]" : ""}, not String`,
        );
      } else return [source];
      return [];
    });
  const from = args.get("from");
  if (from === undefined || from.length === 0) problem("@embed needs from: the String field(s) to embed");
  const sources = stringFields("from", from ?? []);
  const fullTextNames = args.get("fullText");
  const fullText = fullTextNames === undefined ? sources : stringFields("fullText", fullTextNames);
  const embedder = args.get("embedder")?.[0] ?? DEFAULT_EMBEDDER;
  const embedderDimensions = embedders === "any" ? dimensions : embedders.get(embedder);
  if (embedderDimensions === undefined) {
    problem(
      `@embed(embedder: "${embedder}"): unknown embedder; declare its dimensions (generate --embedder ${embedder}=N)`,
    );
  } else if (embedderDimensions !== dimensions) {
    problem(
      `is vector(${dimensions}) but embedder "${embedder}" makes ${embedderDimensions}-dimensional vectors: ` +
        `change the field to Unsupported("vector(${embedderDimensions})") or use another embedder`,
    );
  }
  if (dimensions > HNSW_MAX_DIMENSIONS) {
    problem(`is vector(${dimensions}): pgvector's HNSW index takes at most ${HNSW_MAX_DIMENSIONS} dimensions`);
  }
  const companion = (key: string, fallback: string | undefined): SchemaField | undefined => {
    const name = args.get(key)?.[0] ?? fallback;
    if (name === undefined) return undefined;
    const found = model.fields.find((f) => f.name === name);
    if (found && found.type === "String" && found.optional) return found;
    const why = found ? `is ${found.type}${found.optional ? "?" : ""}` : "is missing";
    problem(`${model.name}.${name} ${why}: add "${name} String?" (${COMPANION_ROLE[key]})`);
    return undefined;
  };
  const payload = companion("payload", `${field.name}Payload`);
  const modelField = companion("model", `${field.name}Model`);
  const hash = companion("hash", undefined);
  if (!ok || !payload || !modelField) return undefined;
  return {
    model: model.name,
    table: model.table,
    dbSchema: model.dbSchema,
    field: field.name,
    column: field.column,
    dimensions,
    sources,
    fullText,
    embedder,
    payload,
    modelField,
    hash,
  };
}

const COMPANION_ROLE: Record<string, string> = {
  payload: "the save hook sends the vector through it",
  model: "it records which embedder made the vector",
  hash: "the database keeps md5 of the embedded text in it",
};

/**
 * `@embed(from: [a, b], embedder: "x")` -> Map { from => [a, b], embedder => [x] }, or what is
 * wrong with it.
 */
function parseArgs(doc: string): Map<string, string[]> | string {
  const m = /^@embed\s*\((.*)\)\s*$/.exec(doc);
  if (!m) return `expected @embed(from: field) or @embed(from: [a, b], ...), found "${doc}"`;
  const args = new Map<string, string[]>();
  const body = m[1]!.trim();
  const ARG = /^(\w+)\s*:\s*(\[[^\]]*\]|"[^"]*"|\w+)\s*(,|$)/;
  let rest = body;
  while (rest !== "") {
    const arg = ARG.exec(rest);
    if (!arg) return `cannot read "${rest}": write key: value, key: [a, b] or key: "text"`;
    const [whole, key, value] = arg as unknown as [string, string, string];
    if (args.has(key)) return `"${key}" given twice`;
    const values = value.startsWith("[")
      ? value
          .slice(1, -1)
          .split(",")
          .map((v) => v.trim())
          .filter((v) => v !== "")
      : [value.replace(/^"|"$/g, "")];
    if (values.some((v) => !/^\w+$/.test(v))) return `${key}: expected field names, found ${value}`;
    args.set(key, values);
    rest = rest.slice(whole.length).trim();
  }
  return args;
}

/** A datasource that lists its extensions (`extensions = [...]`) must list vector. */
function extensionIssues(schema: string): ValidationIssue[] {
  const block = schemaBlocks(schema).find((b) => b.kind === "datasource");
  if (!block) return [];
  const list = block.text
    .split("\n")
    .map((l) => stripComment(l))
    .map((l) => /^\s*extensions\s*=\s*\[(.*)\]/.exec(l)?.[1])
    .find((l) => l !== undefined);
  if (list === undefined || /(^|[\s,])(vector|pgvector)\b/.test(list)) return [];
  return [
    {
      path: ["datasource", block.name],
      message: `lists extensions [${list.trim()}] without vector: add vector, the type of every @embed field`,
    },
  ];
}
