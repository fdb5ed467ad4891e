import { clientSchemaText } from "../compat/prisma-client.ts";
import { schemaBlocks, stripComment } from "./schema-blocks.ts";

/**
 * What Prisma itself puts in a field a create leaves out. `database` means Prisma leaves it to
 * the column's own default (`autoincrement()`, `dbgenerated()`, `sequence()`); a field without
 * any `@default` is not listed. `unsupported` is a generator the library does not reproduce
 * (`cuid()`, `nanoid()`, `ulid()`, `uuid(7)`, list defaults).
 */
export type ClientDefault =
  | { readonly kind: "uuid" }
  /** `@default(now())`: the migration gives the column the same default. */
  | { readonly kind: "now" }
  /** `@updatedAt`: Prisma's time of the write, on create and update; the column has no default. */
  | { readonly kind: "updatedAt" }
  /** A literal; on a Json field, a string is the JSON text itself (`@default("{}")`). */
  | { readonly kind: "value"; readonly value: string | number | boolean }
  | { readonly kind: "database" }
  | { readonly kind: "unsupported" };

/** The defaults of every model whose block reads as expected, by model name. */
export type ClientDefaults = ReadonlyMap<string, ReadonlyMap<string, ClientDefault>>;

const DATABASE_FUNCTIONS = new Set(["autoincrement", "dbgenerated", "sequence"]);

/**
 * Reads the `@default`s and `@updatedAt`s of every model from the schema text the
 * client carries for its query compiler (`inlineSchema`, Prisma 6.16+ and 7): the runtime data
 * model a client exposes says which fields exist, not how Prisma fills them. Undefined when the
 * client has no schema text; a model whose block does not parse as expected is left out. Callers
 * leave the writes of a model without defaults to Prisma.
 */
export function readClientDefaults(client: unknown): ClientDefaults | undefined {
  const schema = clientSchemaText(client);
  if (schema === undefined) return undefined;
  const out = new Map<string, ReadonlyMap<string, ClientDefault>>();
  for (const block of schemaBlocks(schema)) {
    if (block.kind !== "model") continue;
    const found = modelDefaults(schema, block.name);
    if (found) out.set(block.name, found);
  }
  return out;
}

/** Exported for tests: the defaults of one `model Name { ... }` block of a schema. */
export function modelDefaults(schema: string, model: string): Map<string, ClientDefault> | undefined {
  const block = schemaBlocks(schema).find((b) => b.kind === "model" && b.name === model);
  if (!block) return undefined;
  const lines = block.text.split("\n").map((l) => stripComment(l).trim());
  if (lines.at(-1) !== "}") return undefined; // the block never closed
  const defaults = new Map<string, ClientDefault>();
  for (const line of lines.slice(lines.findIndex((l) => l.startsWith("model")) + 1, -1)) {
    if (line === "" || line.startsWith("@@")) continue;
    const field = /^(\w+)\s+\w+(\[\]|\?)?\s*(.*)$/.exec(line);
    if (!field) return undefined;
    const [, name, modifier, attributes] = field as unknown as [string, string, string | undefined, string];
    const found = parseDefault(attributes, modifier === "[]");
    if (found) defaults.set(name, found);
  }
  return defaults;
}

function parseDefault(attributes: string, isList: boolean): ClientDefault | undefined {
  if (/(^|\s)@updatedAt\b/.test(attributes)) return { kind: "updatedAt" };
  const at = attributes.indexOf("@default(");
  if (at === -1) return undefined;
  if (isList) return { kind: "unsupported" };
  const arg = attributes.slice(at + "@default(".length).trimStart();
  const call = /^(\w+)\(\s*([^)]*?)\s*\)/.exec(arg);
  if (call) {
    const [, fn, inner] = call as unknown as [string, string, string];
    if (fn === "now") return { kind: "now" };
    if (fn === "uuid" && (inner === "" || inner === "4")) return { kind: "uuid" };
    return DATABASE_FUNCTIONS.has(fn) ? { kind: "database" } : { kind: "unsupported" };
  }
  const literal = parseLiteral(arg);
  return literal === undefined ? { kind: "unsupported" } : { kind: "value", value: literal };
}

/** A string, number, boolean or enum value followed by the closing `)` (or a named argument). */
function parseLiteral(arg: string): string | number | boolean | undefined {
  if (arg.startsWith('"')) {
    const string = /^"((?:[^"\\]|\\.)*)"\s*[,)]/.exec(arg);
    if (!string) return undefined;
    try {
      // Prisma string literals escape like JSON ones (\" \\ \n \uXXXX).
      return JSON.parse(`"${string[1]}"`) as string;
    } catch {
      return undefined;
    }
  }
  const word = /^([\w.+-]+)\s*[,)]/.exec(arg);
  if (!word) return undefined;
  const token = word[1] as string;
  if (token === "true" || token === "false") return token === "true";
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(token)) return Number(token);
  return /^[A-Za-z_]\w*$/.test(token) ? token : undefined; // an enum value
}
