/**
 * Prepares the compatibility projects for test/compat: one new user's project per Prisma client
 * kind (test/compat/.projects/<kind>), installed outside the repository (see compat-paths.ts).
 *
 *   node --import tsx scripts/compat-setup.ts [--force] [--no-build] [kind...]
 *
 * For each project: copy its sources, `npm ci` its lockfile (skipped while the lockfile is
 * unchanged), generate its Prisma clients offline (skipped while schemas and lockfile are
 * unchanged), and install this library into its node_modules the way npm would: the files
 * `npm pack` would publish, with the library's own dependencies linked from this repository's
 * node_modules (Prisma packages excepted: those are the user's). The library is built first when
 * src is newer than dist. `npm test` runs this before test/compat; it needs only the npm registry.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { takePidLock } from "../src/db/pid-lock.ts";
import { COMPAT_KINDS, type CompatKind, compatRoot, projectDir, projectSource, repoRoot } from "./compat-paths.ts";

const STAMP = ".phs-compat.json";
const args = process.argv.slice(2);
const force = args.includes("--force");
const build = !args.includes("--no-build");
const kinds = COMPAT_KINDS.filter((k) => args.includes(k) || !args.some((a) => !a.startsWith("--")));

const started = performance.now();
withLock(() => {
  if (build) timed("build", buildIfStale);
  const files = timed("pack list", packedFiles);
  for (const kind of kinds) setUp(kind, files);
});
console.log(`compat-setup: done in ${seconds(performance.now() - started)}`);

function setUp(kind: CompatKind, packed: string[]): void {
  const dir = projectDir(kind);
  if (force) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const entry of readdirSync(projectSource(kind), { withFileTypes: true })) {
    if (entry.isFile()) copyIfChanged(join(projectSource(kind), entry.name), join(dir, entry.name));
  }
  const stamp = readStamp(dir);
  const lockHash = hash([join(dir, "package-lock.json")]);
  if (stamp.install !== lockHash || !existsSync(join(dir, "node_modules"))) {
    timed(`${kind}: npm ci`, () =>
      run("npm", ["ci", "--prefix", dir, "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], dir),
    );
    writeStamp(dir, { install: lockHash });
  } else console.log(`compat-setup: ${kind}: dependencies up to date`);

  const schemas = readdirSync(dir).filter((f) => f.endsWith(".prisma"));
  const generateHash = hash([
    join(dir, "package-lock.json"),
    join(dir, "prisma.config.ts"),
    ...schemas.map((s) => join(dir, s)),
  ]);
  if (readStamp(dir).generate !== generateHash) {
    timed(`${kind}: prisma generate`, () => {
      for (const schema of schemas) run(process.execPath, [prismaCli(dir), "generate", "--schema", schema], dir);
    });
    writeStamp(dir, { ...readStamp(dir), generate: generateHash });
  } else console.log(`compat-setup: ${kind}: clients up to date`);

  // Replaced only when the package changed: tests of another `npm test` may be reading it.
  const libraryHash = hash([join(repoRoot, "package.json"), ...packed.map((f) => join(repoRoot, f))]);
  const installed = join(dir, "node_modules", "prisma-hybrid-store", "package.json");
  if (readStamp(dir).library !== libraryHash || !existsSync(installed)) {
    timed(`${kind}: install library`, () => installLibrary(dir, packed));
    writeStamp(dir, { ...readStamp(dir), library: libraryHash });
  } else console.log(`compat-setup: ${kind}: library up to date`);
}

function copyIfChanged(from: string, to: string): void {
  if (!existsSync(to) || !readFileSync(from).equals(readFileSync(to))) cpSync(from, to);
}

/**
 * One setup at a time per install directory (two `npm test` runs of one checkout share it).
 * A lock left by a process that no longer exists is taken over.
 */
function withLock(fn: () => void): void {
  mkdirSync(compatRoot(), { recursive: true });
  const lock = join(compatRoot(), ".setup.lock");
  const deadline = Date.now() + 15 * 60_000;
  let taken = takePidLock(lock);
  while (!("release" in taken)) {
    if (Date.now() > deadline) throw new Error(`${lock} is held by process ${taken.owner}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    taken = takePidLock(lock);
  }
  try {
    fn();
  } finally {
    taken.release();
  }
}

/**
 * Copies what `npm pack` would publish into node_modules, then provides its dependencies as npm
 * would, from this repository's node_modules: a dependency the project has at the version the
 * repo resolved is shared; any other is nested under the library (as npm nests a version the
 * project's copy does not satisfy). Peer dependencies are the project's; missing optional ones
 * (`@llamaindex/core`, `@huggingface/transformers`) are linked at the top level, as a user who
 * uses them installs them.
 */
function installLibrary(dir: string, packed: string[]): void {
  const target = join(dir, "node_modules", "prisma-hybrid-store");
  rmSync(target, { recursive: true, force: true });
  for (const file of packed) cpSync(join(repoRoot, file), join(target, file));
  const pkg = readJson(join(repoRoot, "package.json")) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const source = join(repoRoot, "node_modules", name);
    const shared = join(dir, "node_modules", name);
    if (!existsSync(source)) throw new Error(`${name} is not installed in ${repoRoot}: run npm ci`);
    if (!exists(shared)) link(source, shared);
    else if (version(shared) !== version(source)) link(source, join(target, "node_modules", name));
  }
  for (const name of Object.keys(pkg.peerDependencies ?? {})) {
    const source = join(repoRoot, "node_modules", name);
    const shared = join(dir, "node_modules", name);
    if (!exists(shared) && existsSync(source)) link(source, shared);
  }
}

function link(source: string, at: string): void {
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(realpathSync(source), at, "junction");
}

function version(pkgDir: string): string {
  return (readJson(join(pkgDir, "package.json")) as { version: string }).version;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** The files of the published package, as `npm pack` lists them (the `files` field applies). */
function packedFiles(): string[] {
  const out = run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", "--loglevel=error"], repoRoot);
  const [info] = JSON.parse(out) as { files: { path: string }[] }[];
  if (!info?.files.some((f) => f.path === "dist/index.js")) throw new Error("npm pack would publish no dist/index.js");
  return info.files.map((f) => f.path);
}

/** `npm run build` when a source is newer than the built entry point. */
function buildIfStale(): void {
  const built = join(repoRoot, "dist", "index.d.ts");
  const inputs = [
    ...walk(join(repoRoot, "src")).filter((f) => !f.includes(`${join("src", "generated")}`)),
    ...[
      "package.json",
      "tsconfig.json",
      "tsconfig.build.json",
      "tsconfig.cjs.json",
      "scripts/pin-cli-runtime.ts",
      "scripts/build-cjs.ts",
    ].map((f) => join(repoRoot, f)),
  ];
  const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
  if (!force && existsSync(built) && statSync(built).mtimeMs >= newest) {
    console.log("compat-setup: dist is up to date");
    return;
  }
  run("npm", ["run", "build", "--silent"], repoRoot);
}

function prismaCli(dir: string): string {
  const pkg = join(dir, "node_modules", "prisma", "package.json");
  const { bin } = readJson(pkg) as { bin: Record<string, string> };
  return join(dirname(pkg), bin.prisma ?? "build/index.js");
}

function run(cmd: string, argv: string[], cwd: string): string {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Offline generate: Prisma 7's CLI downloads a schema engine for every command unless this
    // names an existing file; `generate` itself only uses the WASM in the package.
    PRISMA_SCHEMA_ENGINE_BINARY: existsSync("/bin/false") ? "/bin/false" : process.execPath,
    CHECKPOINT_DISABLE: "1",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
  };
  // Inside `npm test`, npm exports the outer project's prefix; the nested npm must not use it.
  for (const key of Object.keys(env))
    if (/^npm_(config_(local_)?prefix|package_|lifecycle_)/.test(key)) delete env[key];
  // Output is kept and shown only on failure: a passing setup prints its timings and nothing else.
  const result = spawnSync(cmd, argv, { cwd, env, encoding: "utf8", shell: process.platform === "win32" });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    throw new Error(`${cmd} ${argv.join(" ")} failed in ${cwd} (exit ${result.status ?? result.signal})`);
  }
  return result.stdout;
}

function timed<T>(label: string, fn: () => T): T {
  const t = performance.now();
  const value = fn();
  console.log(`compat-setup: ${label} ${seconds(performance.now() - t)}`);
  return value;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function hash(paths: string[]): string {
  const h = createHash("sha256");
  for (const p of paths) h.update(p.slice(p.lastIndexOf("/") + 1)).update(existsSync(p) ? readFileSync(p) : "");
  return h.digest("hex");
}

interface Stamp {
  install?: string;
  generate?: string;
  library?: string;
}
function readStamp(dir: string): Stamp {
  try {
    return JSON.parse(readFileSync(join(dir, STAMP), "utf8")) as Stamp;
  } catch {
    return {};
  }
}
function writeStamp(dir: string, stamp: Stamp): void {
  writeFileSync(join(dir, STAMP), `${JSON.stringify(stamp)}\n`);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}
