/**
 * Test files run bundled (scripts/bundle-module.ts): `npm test` and the Citus suite start each
 * file as `node --enable-source-maps <bundle>` instead of `node --import tsx <file>`, which saves
 * each file's process seconds of CPU. Source maps point failures at the test's own lines.
 *
 * A file that imports a module by a computed path (a generated client, a compat project, a
 * written sample: TypeScript that only tsx can load at run time) or that uses
 * import.meta's `resolve` runs under tsx as before; PHS_TEST_TSX=1 runs every file so.
 */
import { mkdirSync, rmSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleModule } from "./bundle-module.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

// `import(x)` with anything but a string literal: esbuild leaves it to run time, without tsx.
const COMPUTED_IMPORT = /(?<![\w.$])import\(\s*[\w$`]/;

/** The node arguments that run `file` (a path relative to the repository, or absolute). */
export interface TestCommand {
  readonly args: string[];
  /** Why the file runs under tsx, when it does. */
  readonly tsxReason?: string;
}

/**
 * Bundles test files into `dir` (inside the repository, so that the bundles' package imports
 * resolve to its node_modules). `dispose()` removes the directory.
 */
export function testBundler(dir: string) {
  mkdirSync(dir, { recursive: true });
  let count = 0;
  return {
    /** How to run `file`: its bundle, or the file under tsx when it cannot be bundled. */
    async command(file: string): Promise<TestCommand> {
      if (process.env.PHS_TEST_TSX === "1") return { args: ["--import", "tsx", file], tsxReason: "PHS_TEST_TSX=1" };
      const outfile = join(dir, `${++count}-${basename(file).replace(/\.ts$/, ".mjs")}`);
      try {
        await bundleModule(
          join(root, file),
          { outfile },
          { check: computedImport, sourcemap: "inline", logLevel: "silent" },
        );
        return { args: ["--enable-source-maps", outfile] };
      } catch (error) {
        const { errors } = error as { errors?: { text: string }[] };
        const reason = errors?.[0]?.text ?? String(error);
        return { args: ["--import", "tsx", file], tsxReason: reason };
      }
    },
    /**
     * `files` for `node --test`, which takes one set of node options for all its files: the
     * bundled ones in one group, those under tsx in another; `notes` says which run under tsx and why.
     */
    async groups(files: readonly string[]): Promise<{ groups: { args: string[]; files: string[] }[]; notes: string }> {
      const commands = await Promise.all(files.map((f) => this.command(f)));
      const pick = (underTsx: boolean) => commands.filter((c) => !!c.tsxReason === underTsx).map((c) => c.args.at(-1)!);
      const groups = [
        { args: ["--enable-source-maps"], files: pick(false) },
        { args: ["--import", "tsx"], files: pick(true) },
      ].filter((g) => g.files.length > 0);
      const notes = commands
        .filter((c) => c.tsxReason)
        .map((c) => `(${c.args.at(-1)} under tsx: ${c.tsxReason})\n`)
        .join("");
      return { groups, notes };
    },
    dispose(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The test side's computed imports (the library's own load packages by computed URL and bundle fine). */
function computedImport(path: string, code: string): string | undefined {
  const rel = relative(root, path);
  if (!rel.startsWith(`test${sep}`) && !rel.startsWith(`scripts${sep}`)) return undefined;
  return COMPUTED_IMPORT.test(code) ? "imports a module by a computed path (only tsx can load it)" : undefined;
}

/** A directory for one process's bundles, under node_modules/.cache. */
export const bundleDir = (name: string): string =>
  join(root, "node_modules", ".cache", "prisma-hybrid-store", `${name}-${process.pid}`);
