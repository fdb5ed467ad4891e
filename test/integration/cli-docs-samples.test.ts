import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { bundleModule } from "../../scripts/bundle-module.ts";
import { repoRoot } from "../helpers/cli.ts";
import { withPg } from "../helpers/db.ts";
import { tinyModelDir } from "../helpers/store.ts";

// Code blocks tagged ```ts doctest or ```sql doctest in these pages run here, as written, except
// that the package's own import paths point into this repository.
const PAGES = [
  "getting-started.md",
  "concepts.md",
  "cli.md",
  "existing-schema.md",
  "troubleshooting.md",
  "architecture.md",
  "scaling.md",
];

interface Sample {
  readonly page: string;
  readonly line: number;
  readonly lang: "ts" | "sql";
  readonly code: string;
}

function samples(page: string): Sample[] {
  const text = readFileSync(join(repoRoot, "docs", page), "utf8");
  const found: Sample[] = [];
  const fence = /^```(ts|sql) doctest\n([\s\S]*?)^```$/gm;
  for (const m of text.matchAll(fence)) {
    found.push({ page, line: text.slice(0, m.index).split("\n").length, lang: m[1] as "ts" | "sql", code: m[2]! });
  }
  return found;
}

const cacheDir = join(repoRoot, "node_modules/.cache");
mkdirSync(cacheDir, { recursive: true });
const workDir = mkdtempSync(join(cacheDir, "phs-doc-samples-"));
after(() => rmSync(workDir, { recursive: true, force: true }));

const IMPORTS: Record<string, string> = {
  "prisma-hybrid-store": join(repoRoot, "src/index.ts"),
  "./generated/prisma/client": join(repoRoot, "src/generated/prisma/client.ts"),
};

/** Names a sample imports from the package that src/index.ts does not export (yet). */
async function missingExports(code: string): Promise<string[]> {
  const api = (await import("../../src/index.ts")) as Record<string, unknown>;
  const names = [...code.matchAll(/import \{([^}]+)\} from "prisma-hybrid-store"/g)].flatMap((m) =>
    m[1]!.split(",").map((n) => n.replace(/^\s*type\s+/, "").trim()),
  );
  const typeOnly = new Set(
    [...code.matchAll(/import type \{([^}]+)\}/g)].flatMap((m) => m[1]!.split(",").map((n) => n.trim())),
  );
  return names.filter((n) => n && !typeOnly.has(n) && !(n in api));
}

/**
 * Runs a TypeScript sample as the test files run (scripts/test-bundle.ts): bundled by esbuild,
 * tsx's transpiler, not under tsx's loader (seconds of CPU per sample).
 */
async function runTs(file: string): Promise<{ code: number | null; output: string }> {
  const bundle = file.replace(/\.mts$/, ".bundle.mjs");
  await bundleModule(file, { outfile: bundle }, { sourcemap: "inline" });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--enable-source-maps", bundle], {
      cwd: repoRoot,
      env: { ...process.env, PHS_MODEL_DIR: tinyModelDir, PHS_ALLOW_REMOTE_MODELS: "0" },
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("code samples in docs/", () => {
  const all = PAGES.flatMap(samples);
  test("the pages have samples to run", () => {
    assert.ok(all.length >= 6, `found ${all.length}`);
  });

  for (const sample of all) {
    test(`${sample.page}:${sample.line} (${sample.lang})`, async (t) => {
      if (sample.lang === "sql") {
        // Inside a transaction that is rolled back: the shared test database is left as it was.
        await withPg(async (pg) => {
          await pg.query("BEGIN");
          try {
            await pg.query(sample.code);
          } finally {
            await pg.query("ROLLBACK");
          }
        });
        return;
      }
      const missing = await missingExports(sample.code);
      if (missing.length > 0) {
        t.skip(`src/index.ts does not export ${missing.join(", ")} yet (see src/ingest/index.ts)`);
        return;
      }
      let code = sample.code;
      for (const [from, to] of Object.entries(IMPORTS)) code = code.replaceAll(`from "${from}"`, `from "${to}"`);
      const file = join(workDir, `${sample.page.replace(".md", "")}-${sample.line}.mts`);
      writeFileSync(file, code);
      const run = await runTs(file);
      assert.equal(run.code, 0, run.output);
    });
  }
});
