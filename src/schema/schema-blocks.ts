/** One top-level block of a Prisma schema (`model X { ... }`), with the `///` lines above it. */
export interface SchemaBlock {
  readonly kind: string;
  readonly name: string;
  /** The block's text, doc comments included, as written. */
  readonly text: string;
}

const OPEN = /^\s*(model|datasource|generator|enum|view|type)\s+(\w+)\s*\{\s*(?:\/\/.*)?$/;
const CLOSE = /^\s*\}\s*(?:\/\/.*)?$/;

/**
 * The top-level blocks of a schema, read line by line: a block opens with `model Name {` and
 * ends at the first line that is only `}` (braces inside strings such as `@default("{}")` are
 * never on a line of their own).
 */
export function schemaBlocks(schema: string): SchemaBlock[] {
  const lines = schema.split(/\r?\n/);
  const blocks: SchemaBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]!);
    if (!open) continue;
    let first = i;
    while (first > 0 && /^\s*\/\/\//.test(lines[first - 1]!)) first--;
    let last = i + 1;
    while (last < lines.length && !CLOSE.test(lines[last]!)) last++;
    blocks.push({ kind: open[1]!, name: open[2]!, text: lines.slice(first, last + 1).join("\n") });
    i = last;
  }
  return blocks;
}

/**
 * What a model means, for comparison: its field and attribute lines without comments and with
 * single spaces, in a stable order (Prisma ignores the order of fields).
 */
export function modelSignature(block: SchemaBlock): string[] {
  return block.text
    .split("\n")
    .map((line) => stripComment(line).replace(/\s+/g, " ").trim())
    .filter((line) => line !== "" && !OPEN.test(line) && line !== "}")
    .sort();
}

/** The datasource provider of a schema (`postgresql`, `sqlite`, ...), if it has a datasource. */
export function datasourceProvider(schema: string): string | undefined {
  const block = schemaBlocks(schema).find((b) => b.kind === "datasource");
  return block && /^\s*provider\s*=\s*"([^"]+)"/m.exec(block.text)?.[1];
}

/** A schema line without its `//` comment; `//` inside a string (`"http://..."`) stays. */
export function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === "/" && line[i + 1] === "/" && !quoted) return line.slice(0, i);
  }
  return line;
}
