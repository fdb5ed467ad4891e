import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { layerCycles, layerEdges } from "../../scripts/import-cycles.ts";

const src = fileURLToPath(new URL("../../src", import.meta.url));

test("no two folders of src/ import each other, directly or through others", () => {
  const cycles = layerCycles(layerEdges(src));
  const described = cycles.map((c) => `${c.layers.join(", ")}: ${c.imports.map((e) => e.file).join(", ")}`);
  assert.deepEqual(described, []);
});

test("the check finds a cycle through three folders and a root file, and ignores type-only imports", () => {
  const root = mkdtempSync(join(tmpdir(), "phs-cycles-"));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  try {
    write("a/one.ts", 'import { two } from "../b/two.ts";\nexport const one = two;\n');
    write("b/two.ts", 'export { three as two } from "../c/three.ts";\n');
    write("c/three.ts", 'export const three = async () => (await import("../root.ts")).r;\n');
    write("root.ts", 'import { one } from "./a/one.ts";\nexport const r = one;\n');
    // Type-only imports back into a: not edges.
    write(
      "d/four.ts",
      'import type { one } from "../a/one.ts";\nimport { type two } from "../b/two.ts";\nexport type F = typeof one | typeof two;\n',
    );
    write("a/five.ts", 'import { x } from "../d/six.ts";\nexport const five = x;\n');
    write("d/six.ts", "export const x = 1;\n");
    write("generated/g.ts", 'import { one } from "../a/one.ts";\nexport const g = one;\n');
    write("a/uses-generated.ts", 'import { g } from "../generated/g.ts";\nexport const u = g;\n');
    const cycles = layerCycles(layerEdges(root));
    assert.deepEqual(
      cycles.map((c) => c.layers),
      [["a", "b", "c", "root.ts"]],
    );
    assert.deepEqual(cycles[0]!.imports.map((e) => `${e.from}->${e.to}`).sort(), [
      "a->b",
      "b->c",
      "c->root.ts",
      "root.ts->a",
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
