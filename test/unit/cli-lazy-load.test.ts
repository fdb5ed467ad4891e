/**
 * `--help` and usage errors cost a process start and no more: what src/cli/main.ts imports
 * statically is the CLI's own light modules; the library (Prisma, PGlite, zod) and every package
 * load with a command's `import()` once its arguments are checked. Measured (2026-12-02, CPU):
 * `search --help` 0.75 s with everything loaded at start, 0.17 s so.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_CHUNK_OPTIONS, DEFAULT_DATA_DIR } from "../../src/cli/library-defaults.ts";
import * as library from "../../src/index.ts";

const src = fileURLToPath(new URL("../../src", import.meta.url));

/**
 * Modules loaded when `file` is: its static imports and re-exports, followed. Only `import type`
 * and `export type` are erased (verbatimModuleSyntax keeps `import { type X }` as an import).
 */
function staticImports(file: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(file)) return seen;
  const specifiers: string[] = [];
  seen.set(file, specifiers);
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s*"([^"]+)"|^import\s*"([^"]+)"/gm)) {
    const specifier = (m[1] ?? m[2])!;
    specifiers.push(specifier);
    if (specifier.startsWith(".")) staticImports(resolve(dirname(file), specifier), seen);
  }
  return seen;
}

test("the CLI's start imports only its own light modules and node builtins", () => {
  const loaded = staticImports(join(src, "cli", "main.ts"));
  assert.ok(loaded.size >= 10, `followed the imports of the commands (${loaded.size} modules)`);
  const outside = [...loaded.keys()].map((f) => relative(src, f)).filter((f) => !f.startsWith(`cli/`));
  assert.deepEqual(outside, [], "library modules loaded at start");
  const packages = [...loaded].flatMap(([file, specifiers]) =>
    specifiers.filter((s) => !s.startsWith(".") && !s.startsWith("node:")).map((s) => `${relative(src, file)}: ${s}`),
  );
  assert.deepEqual(packages, [], "packages loaded at start");
});

test("the defaults the help texts show are the library's", () => {
  assert.equal(DEFAULT_DATA_DIR, library.DEFAULT_DATA_DIR);
  assert.deepEqual(DEFAULT_CHUNK_OPTIONS, library.DEFAULT_CHUNK_OPTIONS);
});
