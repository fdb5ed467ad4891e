/**
 * The CLI the tests spawn: src/cli/main.ts bundled with esbuild (scripts/bundle-module.ts), so
 * that a command starts without tsx's loader. Measured per start (2026-12-02, CPU): `--help`
 * 2.7 s with `--import tsx`, 1.0 s bundled in one file, 0.2 s split; a `search` 5.2 s and 2.2 s.
 * The tests start the CLI over a hundred times per target.
 *
 * Split in chunks: a command's `import()` of the library loads its chunk, and that chunk's
 * packages (Prisma, PGlite, zod), only when it runs, as in the published CLI; in one file every
 * package would load at start. Cached in node_modules/.cache under a hash of src/, tsconfig.json
 * and the esbuild version, and built beside, then renamed into place, so that workers building
 * it at once do not see half a build.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { version } from "esbuild";
import { bundleModule } from "../../scripts/bundle-module.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const src = join(root, "src");
const cache = join(root, "node_modules", ".cache", "prisma-hybrid-store");

function sourceKey(): string {
  const hash = createHash("sha256").update(`esbuild@${version}\0`);
  hash.update(readFileSync(join(root, "tsconfig.json")));
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  hash.update(readFileSync(join(root, "scripts", "bundle-module.ts")));
  for (const file of readdirSync(src, { recursive: true, encoding: "utf8" }).sort()) {
    const path = join(src, file);
    if (!/\.(ts|js|mjs|cjs|json|wasm)$/.test(file)) continue;
    hash.update(`${file}\0`).update(readFileSync(path));
  }
  return hash.digest("hex").slice(0, 16);
}

let built: Promise<string> | undefined;

/** The bundled CLI's path (run it with `node <path> ...args`), built first if src/ changed. */
export function cliBundle(): Promise<string> {
  built ??= (async () => {
    const dir = join(cache, `cli-${sourceKey()}`);
    const main = join(dir, "main.mjs");
    if (existsSync(main)) return main;
    mkdirSync(cache, { recursive: true });
    const building = `${dir}.${process.pid}`;
    await bundleModule(join(src, "cli", "main.ts"), { outdir: building });
    try {
      renameSync(building, dir);
    } catch (error) {
      rmSync(building, { recursive: true, force: true });
      if (!existsSync(main)) throw error; // else another worker renamed its build into place first
    }
    // Bundles of earlier sources go once nobody can still be starting them.
    for (const old of readdirSync(cache)) {
      const path = join(cache, old);
      if (/^cli-[0-9a-f]{16}(\.mjs)?$/.test(old) && path !== dir && Date.now() - statSync(path).mtimeMs > 3_600_000)
        rmSync(path, { recursive: true, force: true });
    }
    return main;
  })();
  return built;
}
