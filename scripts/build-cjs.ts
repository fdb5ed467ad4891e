/**
 * Build step (`npm run build` runs it after the ESM build): the CommonJS entry points, so
 * `require("prisma-hybrid-store")` and `require("prisma-hybrid-store/llamaindex")` work (NestJS
 * and most Prisma apps are CommonJS).
 *
 * tsc emits src as CommonJS into dist/cjs (tsconfig.cjs.json), the one `import.meta.url` in the
 * library's code is replaced by the CommonJS file's own URL, dist/cjs gets a package.json that
 * says `"type": "commonjs"`, and the ESM build's declarations are copied next to the .js files,
 * so a `require` consumer gets declarations that TypeScript reads as CommonJS.
 *
 *   node --import tsx scripts/build-cjs.ts
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const cjs = join(dist, "cjs");

function fail(message: string): never {
  console.error(`build-cjs: ${message}`);
  process.exit(1);
}

rmSync(cjs, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.cjs.json"], {
  cwd: root,
  stdio: "inherit",
});

const FILE_URL = 'require("node:url").pathToFileURL(__filename).href';
const files = readdirSync(cjs, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js"));
for (const file of files) {
  const path = join(cjs, file);
  const text = readFileSync(path, "utf8");
  const converted = text.replaceAll("import.meta.url", FILE_URL);
  if (/\bimport\.meta\b/.test(converted)) fail(`${file} uses import.meta beyond import.meta.url: not valid CommonJS`);
  if (converted !== text) writeFileSync(path, converted);
  const declaration = join(dist, file.replace(/\.js$/, ".d.ts"));
  mkdirSync(dirname(join(cjs, file)), { recursive: true });
  try {
    copyFileSync(declaration, join(cjs, file.replace(/\.js$/, ".d.ts")));
  } catch {
    fail(`no declaration ${declaration}: run the ESM build (tsc -p tsconfig.build.json) first`);
  }
}
writeFileSync(join(cjs, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
console.log(`build-cjs: ${files.length} CommonJS file(s) in dist/cjs`);
