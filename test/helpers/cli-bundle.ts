/**
 * The CLI the tests spawn: src/cli/main.ts bundled into one ES module with esbuild, the
 * transpiler tsx uses, so that a command starts without tsx's loader. Measured per start
 * (2026-12-02, CPU): `--help` 2.7 s with `--import tsx`, 1.0 s bundled; a `search` 5.2 s and
 * 2.2 s. The tests start the CLI over a hundred times per target.
 *
 * The bundle is the same source as tsx would run: each module keeps its own `import.meta.url`
 * (so the CLI finds the package root, the migrations and the generated client as in a checkout),
 * packages stay imports of node_modules, names are kept, nothing is tree-shaken. It is cached in
 * node_modules/.cache under a hash of src/, tsconfig.json and the esbuild version, and written
 * beside, then renamed into place, so that workers building it at once do not see half a file.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, version } from "esbuild";

const root = fileURLToPath(new URL("../../", import.meta.url));
const src = join(root, "src");
const cache = join(root, "node_modules", ".cache", "prisma-hybrid-store");

function sourceKey(): string {
  const hash = createHash("sha256").update(`esbuild@${version}\0`);
  hash.update(readFileSync(join(root, "tsconfig.json")));
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const file of readdirSync(src, { recursive: true, encoding: "utf8" }).sort()) {
    const path = join(src, file);
    if (!/\.(ts|js|mjs|cjs|json|wasm)$/.test(file)) continue;
    hash.update(`${file}\0`).update(readFileSync(path));
  }
  return hash.digest("hex").slice(0, 16);
}

// Module-relative paths are all the CLI takes from import.meta; any other member would name the
// bundle instead of the module, so it stops the build.
const IMPORT_META = /import\.meta(?!\.url\b)/;

async function bundle(outfile: string): Promise<void> {
  await build({
    entryPoints: [join(src, "cli", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    keepNames: true,
    treeShaking: false,
    ignoreAnnotations: true,
    logLevel: "error",
    plugins: [
      {
        name: "module-url",
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => {
            const code = readFileSync(args.path, "utf8");
            if (IMPORT_META.test(code)) throw new Error(`${args.path} uses import.meta beyond .url`);
            const url = JSON.stringify(pathToFileURL(args.path).href);
            return { contents: code.replaceAll("import.meta.url", url), loader: "ts" };
          });
        },
      },
    ],
  });
}

let built: Promise<string> | undefined;

/** The bundled CLI's path (run it with `node <path> ...args`), built first if src/ changed. */
export function cliBundle(): Promise<string> {
  built ??= (async () => {
    const file = join(cache, `cli-${sourceKey()}.mjs`);
    if (existsSync(file)) return file;
    mkdirSync(cache, { recursive: true });
    const building = `${file}.${process.pid}`;
    await bundle(building);
    renameSync(building, file);
    // Bundles of earlier sources go once nobody can still be starting them.
    for (const old of readdirSync(cache)) {
      const path = join(cache, old);
      if (/^cli-[0-9a-f]{16}\.mjs/.test(old) && path !== file && Date.now() - statSync(path).mtimeMs > 3_600_000)
        rmSync(path, { force: true });
    }
    return file;
  })();
  return built;
}
