/**
 * Type tests: each compatibility project (a user's project per client kind, with the built
 * package installed) type-checks its consumer.ts with tsc and no skipLibCheck. The consumers hold
 * `@ts-expect-error` lines, so an extended client that silently became `any` fails here too.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative } from "node:path";
import { describe, test } from "node:test";
import { COMPAT_KINDS, projectDir, repoRoot } from "../../scripts/compat-paths.ts";

const TSC = join(repoRoot, "node_modules", "typescript", "bin", "tsc");

/** `--incremental` (state kept next to the installed project): a rerun with unchanged inputs takes ~2 s. */
function tsc(project: string): Promise<{ code: number; output: string }> {
  const buildInfo = project.replace(/\.json$/, ".tsbuildinfo");
  const args = [TSC, "-p", project, "--pretty", "false", "--incremental", "--tsBuildInfoFile", buildInfo];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: dirname(project) });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The package's .d.ts files reachable from its entry points (what a user's tsc reads). */
function reachableDeclarations(pkg: string): string[] {
  const exportsMap: unknown = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")).exports;
  // Every `types` condition, at any depth (`import` and `require` each have their own).
  const types = (entry: unknown): string[] =>
    typeof entry !== "object" || entry === null
      ? []
      : Object.entries(entry).flatMap(([key, value]) =>
          key === "types" && typeof value === "string" ? [value] : types(value),
        );
  const queue = types(exportsMap)
    .map((t) => join(pkg, t))
    .filter((f) => existsSync(f));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
      const target = join(dirname(file), spec!).replace(/\.(ts|js)$/, ".d.ts");
      if (existsSync(target)) queue.push(target);
    }
  }
  return [...seen];
}

// One tsc per CPU at a time: a first run takes 10-30 s each.
describe("types on each client kind (tsc, no skipLibCheck)", { concurrency: availableParallelism() }, () => {
  for (const kind of COMPAT_KINDS) {
    const dir = projectDir(kind);

    test(`${kind}: the published .d.ts files name only @prisma/client/extension from Prisma`, () => {
      const pkg = join(dir, "node_modules", "prisma-hybrid-store");
      const files = reachableDeclarations(pkg);
      assert.ok(files.length > 5, `found ${files.length} declaration files from the exports of ${pkg}`);
      const offending = files.flatMap((f) =>
        [...readFileSync(f, "utf8").matchAll(/["'](@prisma\/client[^"']*)["']/g)]
          .map((m) => m[1]!)
          .filter((spec) => spec !== "@prisma/client/extension")
          .map((spec) => `${relative(pkg, f)}: ${spec}`),
      );
      assert.deepEqual(offending, [], "internal Prisma modules differ between versions (runtime/library is gone in 7)");
    });

    const configs = existsSync(dir) ? readdirSync(dir).filter((f) => /^tsconfig.*\.json$/.test(f)) : ["tsconfig.json"];
    for (const config of configs) {
      test(`${kind}: ${config} type-checks the consumer`, async () => {
        const { code, output } = await tsc(join(dir, config));
        assert.equal(code, 0, `tsc -p ${join(dir, config)} failed:\n${output}`);
      });
    }
  }
});
