/**
 * Import cycles between the folders of src/ (each file directly in src/ counts as a node of its
 * own). A folder is a layer: when two layers import each other, neither can be read, tested or
 * moved without the other. Type-only imports are not edges: they are erased from the JavaScript,
 * so they cannot make one layer load before another (src/context.ts describes what every layer
 * shares, and every layer names its types).
 *
 *   node --import tsx scripts/import-cycles.ts     prints the cycles, exit 1 when there is one
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

/** One import that makes `from` depend on `to` (both nodes: a folder name or a root file). */
export interface LayerEdge {
  readonly from: string;
  readonly to: string;
  readonly file: string;
  readonly specifier: string;
}

/** Value imports (and re-exports, and `import()`) of `file`, as written. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) out.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The layer a path under `root` belongs to: its first folder, or the file itself. */
const layerOf = (root: string, path: string): string => relative(root, path).split(sep)[0] ?? path;

/** Every value import from one layer of `root` into another; `skip` names folders left out. */
export function layerEdges(root: string, skip: readonly string[] = ["generated"]): LayerEdge[] {
  const files = readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(ts|tsx|mts|cts)$/.test(f) && !f.endsWith(".d.ts"))
    .filter((f) => !skip.includes(f.split(sep)[0] ?? ""))
    .map((f) => join(root, f));
  const edges: LayerEdge[] = [];
  for (const file of files) {
    const from = layerOf(root, file);
    for (const specifier of valueImports(file)) {
      if (!specifier.startsWith(".")) continue;
      const target = resolve(dirname(file), specifier);
      if (relative(root, target).startsWith("..")) continue;
      const to = layerOf(root, target);
      if (to !== from && !skip.includes(to)) edges.push({ from, to, file: relative(root, file), specifier });
    }
  }
  return edges;
}

/**
 * The groups of layers that import each other (strongly connected components, Tarjan), each with
 * every import between its members: all of them are what has to move to break the group.
 */
export function layerCycles(edges: readonly LayerEdge[]): { layers: string[]; imports: LayerEdge[] }[] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const groups: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of [...(next.get(v) ?? [])].sort()) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) group.push(w);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) strong(v);
  return groups.map((layers) => ({
    layers,
    imports: edges.filter((e) => layers.includes(e.from) && layers.includes(e.to)),
  }));
}

if (process.argv[1] === import.meta.filename) {
  const cycles = layerCycles(layerEdges(join(import.meta.dirname, "..", "src")));
  for (const c of cycles) {
    console.log(`import cycle between ${c.layers.join(", ")}:`);
    for (const e of c.imports) console.log(`  ${e.from} -> ${e.to}: ${e.file} imports ${e.specifier}`);
  }
  if (cycles.length === 0) console.log("no import cycle between the folders of src/");
  process.exit(cycles.length === 0 ? 0 : 1);
}
