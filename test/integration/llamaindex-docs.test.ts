/**
 * Runs every ```ts sample of docs/llamaindex.md, in order, as one module (so later samples use
 * what earlier ones defined), with the package imports pointed at the sources and `prisma` set
 * to the test database's client. Then checks what the samples computed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BaseNode, NodeWithScore } from "llamaindex";
import { MetadataMode } from "llamaindex";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { withPg } from "../helpers/db.ts";
import { tinyModelDir } from "../helpers/store.ts";

// `new MiniLmEmbedding()` and `defaultEmbedder()` in the samples load the tiny test model.
process.env.PHS_MODEL_DIR = tinyModelDir;

const source = (path: string) => new URL(`../../${path}`, import.meta.url).href;
const MODULES: Record<string, string> = {
  llamaindex: import.meta.resolve("llamaindex"),
  "prisma-hybrid-store": source("src/index.ts"),
  "prisma-hybrid-store/llamaindex": source("src/llamaindex/index.ts"),
};
const RESULTS = [
  "prisma",
  "hits",
  "best",
  "policy",
  "remote",
  "text",
  "hybrid",
  "weighted",
  "diverse",
  "hr",
  "nested",
  "scoped",
  "onlyPolicy",
  "first",
  "second",
  "query",
];

/** The samples as one module: imports merged per module, code in document order. */
function samplesModule(markdown: string): string {
  const imports = new Map<string, Set<string>>();
  const body: string[] = [];
  const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 6, "docs/llamaindex.md has its samples");
  for (const line of blocks.join("\n").split("\n")) {
    const m = /^import (type )?\{([^}]+)\} from "([^"]+)";$/.exec(line);
    if (!m) {
      assert.ok(!line.startsWith("import "), `unsupported import form in the docs: ${line}`);
      body.push(line);
      continue;
    }
    const target = MODULES[m[3]!];
    assert.ok(target, `the docs import "${m[3]}", which users cannot`);
    const names = imports.get(target) ?? new Set<string>();
    for (const name of m[2]!.split(",").map((n) => n.trim())) if (name) names.add(m[1] ? `type ${name}` : name);
    imports.set(target, names);
  }
  return [
    `import { createPrisma } from ${JSON.stringify(source("test/helpers/db.ts"))};`,
    ...[...imports].map(([target, names]) => `import { ${[...names].join(", ")} } from ${JSON.stringify(target)};`),
    "const prisma = createPrisma();",
    ...body,
    `export { ${RESULTS.join(", ")} };`,
  ].join("\n");
}

interface Results {
  prisma: PrismaClient;
  hits: NodeWithScore[];
  best: string | undefined;
  policy: { id: string };
  remote: NodeWithScore[];
  text: NodeWithScore[];
  hybrid: NodeWithScore[];
  weighted: { ids: string[]; similarities: number[] };
  diverse: { ids: string[] };
  hr: NodeWithScore[];
  nested: { nodes?: BaseNode[] };
  scoped: { nodes?: BaseNode[] };
  onlyPolicy: { nodes?: BaseNode[] };
  first: number[];
  second: number[];
  query: number[] | null;
}

const dir = mkdtempSync(join(tmpdir(), "phs-docs-"));
let results: Results | undefined;
after(async () => {
  await results?.prisma.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

test("every sample of docs/llamaindex.md runs and does what the text says", async () => {
  const markdown = readFileSync(fileURLToPath(source("docs/llamaindex.md")), "utf8");
  const file = join(dir, "samples.mts"); // .mts: an ES module wherever it lives (top-level await)
  writeFileSync(file, samplesModule(markdown));
  results = (await import(pathToFileURL(file).href)) as Results;
  const r = results;
  const handbookText = "Employees get twenty vacation days a year. The notice period is three months.";
  const refDoc = (n: BaseNode) => n.sourceNode?.nodeId;
  const content = (n: BaseNode) => n.getContent(MetadataMode.NONE);

  assert.equal(r.best, handbookText);
  assert.equal(r.hits[0]?.node.sourceNode?.nodeId, "handbook");
  assert.equal(content(r.remote[0]!.node), "Staff may work remotely two days a week.");
  assert.deepEqual(r.remote[0]!.node.metadata, { team: "ops" });
  assert.equal(refDoc(r.remote[0]!.node), r.policy.id);
  for (const list of [r.text, r.hybrid]) assert.ok(list.some((h) => content(h.node) === handbookText));
  assert.ok(
    r.text.every((h) => /notice/i.test(content(h.node))),
    "text search returns matching rows only",
  );
  assert.ok(r.weighted.ids.length > 0 && r.diverse.ids.length > 0);
  assert.ok(r.hr.length > 0 && r.hr.every((h) => h.node.metadata.label === "hr" && h.node.metadata.year >= 2024));
  const nestedDocs = new Set(r.nested.nodes?.map(refDoc));
  assert.ok(nestedDocs.has("handbook") && nestedDocs.has(r.policy.id), "both branches of the OR matched");
  assert.ok(r.scoped.nodes?.length && r.scoped.nodes.every((n) => refDoc(n) === "handbook"));
  assert.ok(r.onlyPolicy.nodes?.length && r.onlyPolicy.nodes.every((n) => refDoc(n) === r.policy.id));
  assert.equal(r.first.length, 384);
  assert.equal(r.second.length, 384);
  assert.equal(r.query?.length, 384);

  const left = await withPg(async (pg) => {
    const q = await pg.query(
      `select (select count(*) from "Annotation" where "documentId" = any($1))::int as a,
              (select count(*) from "Document" where id = any($1))::int as d`,
      [["handbook", r.policy.id]],
    );
    return q.rows[0] as { a: number; d: number };
  });
  assert.deepEqual(left, { a: 0, d: 0 }, "deleteRefDoc removed both documents and their chunks");
});
