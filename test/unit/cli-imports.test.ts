/**
 * The CLI is a user of the library: it takes the library only through its package entries,
 * src/index.ts (`prisma-hybrid-store`) and src/tooling/index.ts (`prisma-hybrid-store/tooling`);
 * besides that it imports its own files and the generated client.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../../src", import.meta.url));
const ENTRIES = new Set(["index.ts", join("tooling", "index.ts")]);

test("the CLI takes from the library only what the package entries export", () => {
  const cli = join(src, "cli");
  const deep: string[] = [];
  let seen = 0;
  for (const file of readdirSync(cli, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"))) {
    const text = readFileSync(join(cli, file), "utf8");
    // Static imports and re-exports (`... from "./x.ts"`) and dynamic ones (`import("./x.ts")`).
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)"(\.[^"]+)"/g)) {
      seen++;
      const target = relative(src, resolve(dirname(join(cli, file)), m[1]!));
      if (target.startsWith("cli/") || target.startsWith("generated/") || ENTRIES.has(target)) continue;
      deep.push(`src/cli/${file}: ${m[1]}`);
    }
  }
  assert.ok(seen > 50, `read the CLI's relative imports (${seen})`);
  assert.deepEqual(deep, [], "imports of the library not through a package entry");
});
