/**
 * One TypeScript entry (a test file, the CLI) bundled with esbuild into plain ES modules, so that
 * its process starts without tsx's loader. Measured (2026-12-02, CPU): a test process that imports
 * the library, embeds with the tiny model and queries through Prisma took 5.1 s under
 * `--import tsx` and 1.8 s bundled; most of the difference is tsx's module hooks, which every
 * import of a package (transformers.js, onnxruntime, Prisma) passes through, not the
 * transpiling (tsx caches that).
 *
 * The bundle is the same source tsx would run: each module keeps its own `import.meta.url`,
 * `dirname` and `filename` (so code finds the package root, the migrations and the generated
 * client as in a checkout), packages stay imports of node_modules (write the bundle inside the
 * repository so they resolve), names are kept, nothing is tree-shaken.
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { type BuildOptions, build, type Plugin } from "esbuild";

/**
 * An `import.meta` member other than url, dirname and filename (or the object itself) would name
 * the bundle, not the module. Words in comments are not code: only a member or a use counts.
 */
const OTHER_IMPORT_META = /\bimport\.meta(?:\.(?!(?:url|dirname|filename)\b)|\s*[[),;])/;

/** Code that cannot be bundled as it is: the reason, or undefined. */
export type BundleCheck = (path: string, code: string) => string | undefined;

function moduleMeta(check: BundleCheck | undefined): Plugin {
  return {
    name: "module-meta",
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const code = readFileSync(args.path, "utf8");
        if (OTHER_IMPORT_META.test(code))
          throw new Error(`${args.path} uses import.meta beyond url, dirname, filename`);
        const reason = check?.(args.path, code);
        if (reason) throw new Error(`${args.path}: ${reason}`);
        const contents = code
          .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
          .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(dirname(args.path)))
          .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path));
        return { contents, loader: "ts" };
      });
    },
  };
}

/**
 * Bundles `entry` with the options above; `output` is `outfile`, or `outdir` (with code
 * splitting: a dynamic `import()` then loads its chunk, and that chunk's packages, only when
 * it runs). `check` can refuse a module (the build then throws).
 */
export async function bundleModule(
  entry: string,
  output: { outfile: string } | { outdir: string },
  options: { check?: BundleCheck; sourcemap?: BuildOptions["sourcemap"]; logLevel?: BuildOptions["logLevel"] } = {},
): Promise<void> {
  await build({
    entryPoints: [entry],
    ...("outdir" in output
      ? { outdir: output.outdir, splitting: true, entryNames: "[name]", outExtension: { ".js": ".mjs" } }
      : { outfile: output.outfile }),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    keepNames: true,
    treeShaking: false,
    ignoreAnnotations: true,
    sourcemap: options.sourcemap ?? false,
    logLevel: options.logLevel ?? "error",
    plugins: [moduleMeta(options.check)],
  });
}
