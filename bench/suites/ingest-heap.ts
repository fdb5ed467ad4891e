/**
 * What a heap snapshot of the ingest memory child holds in Prisma's debug histories: the
 * arguments of the last 100 debug calls, which @prisma/debug (used by @prisma/adapter-pg,
 * variable `argsHistory`) and the copy bundled in @prisma/client's runtime (a minified closure
 * variable, found by its shape) keep whether or not DEBUG is set.
 *
 *   node --expose-gc --import tsx bench/suites/ingest-memory.ts <url> 15000 1000 prisma /tmp/p.heapsnapshot
 *   node --max-old-space-size=4096 --import tsx bench/suites/ingest-heap.ts /tmp/p.heapsnapshot
 *
 * Prints the size reachable from the GC roots, how much of it only the histories keep alive
 * (what a full GC would free without them), and their entries by debug namespace and message.
 */
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const file = process.argv[2];
if (!file) {
  console.error("usage: node --import tsx bench/suites/ingest-heap.ts <file.heapsnapshot>");
  process.exit(2);
}
const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
const meta = snap.snapshot.meta;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const [nType, nName, nSelf, nEdges] = ["type", "name", "self_size", "edge_count"].map((f) =>
  meta.node_fields.indexOf(f),
);
const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) => meta.edge_fields.indexOf(f));
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const { nodes, edges, strings } = snap;
const count = nodes.length / NF;
const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + nEdges!]! * EF;
}
firstEdge[count] = edges.length;

const type = (n: number) => nodeTypes[nodes[n * NF + nType!]!]!;
const name = (n: number) => strings[nodes[n * NF + nName!]!]!;
const self = (n: number) => nodes[n * NF + nSelf!]!;
function* out(n: number): Generator<{ kind: string; label: string | number; to: number }> {
  for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e += EF) {
    const kind = edgeTypes[edges[e + eType!]!]!;
    const raw = edges[e + eName!]!;
    const label = kind === "element" || kind === "hidden" || kind === "internal" ? raw : strings[raw]!;
    yield { kind, label, to: edges[e + eTo!]! / NF };
  }
}

/** Bytes reachable from the GC roots without passing through `excluded`. */
function reachable(excluded: readonly number[]): number {
  const seen = new Uint8Array(count);
  for (const x of excluded) seen[x] = 1;
  const stack = [0];
  seen[0] = 1;
  let bytes = 0;
  while (stack.length > 0) {
    const n = stack.pop()!;
    bytes += self(n);
    for (const { kind, to } of out(n)) {
      if (kind !== "weak" && !seen[to]) {
        seen[to] = 1;
        stack.push(to);
      }
    }
  }
  return bytes;
}

const describe = (n: number) =>
  type(n) === "string" || type(n) === "concatenated string" ? JSON.stringify(name(n).slice(0, 50)) : type(n);

/** A debug history: an array whose elements are arrays starting with a "prisma:..." namespace. */
function isHistory(n: number): boolean {
  if (name(n) !== "Array") return false;
  let entries = 0;
  for (const { kind, to } of out(n)) {
    if (kind !== "element") continue;
    const first = [...out(to)].find((e) => e.kind === "element" && e.label === 0);
    if (!first || !/^prisma[:-]/.test(name(first.to))) return false;
    entries++;
  }
  return entries > 0;
}

const histories = new Map<number, string>();
for (let n = 0; n < count; n++) {
  for (const { kind, label, to } of out(n)) {
    if (kind === "context" && !histories.has(to) && isHistory(to)) histories.set(to, String(label));
  }
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const total = reachable([]);
console.log(`reachable from the GC roots: ${mib(total)}`);
for (const [history, variable] of histories) {
  const byMessage = new Map<string, number>();
  for (const { kind, to } of out(history)) {
    if (kind !== "element") continue;
    const parts = [...out(to)].filter((e) => e.kind === "element").map((e) => describe(e.to));
    const key = parts.slice(0, 3).join(" ");
    byMessage.set(key, (byMessage.get(key) ?? 0) + 1);
  }
  const entries = [...byMessage.values()].reduce((a, b) => a + b, 0);
  console.log(`\ndebug history \`${variable}\`: ${entries} entries, alone keeps ${mib(total - reachable([history]))}`);
  for (const [message, n] of [...byMessage].sort((a, b) => b[1] - a[1]))
    console.log(`  ${String(n).padStart(3)} x ${message}`);
}
console.log(`\nall debug histories together keep ${mib(total - reachable([...histories.keys()]))}`);
