/**
 * CI step: a new user's first search, from the packed tarball, as README.md says.
 *
 * Packs the library (`npm pack`) and, for each kind of project below (all at once), makes an
 * empty project in a temporary folder (`npm init -y`), runs the README's install and set-up
 * commands (read from README.md, between `<!-- fresh-project: ... -->` markers, not copied
 * here), writes the README's snippet, type-checks it with strict `tsc` and runs it with the
 * README's command: it must print its results and exit. Then `npx prisma --version` must report
 * the project's own Prisma.
 *
 * Only what cannot be as written is changed: `prisma-hybrid-store` is the tarball, the Prisma
 * packages get the version of the project kind, the model is the bundled tiny test model
 * (PHS_MODEL_DIR; no network here beyond the npm registry), and Prisma 7's CLI gets
 * PRISMA_SCHEMA_ENGINE_BINARY=/bin/false (it would download a schema engine that `generate`
 * does not use).
 *
 *   node --import tsx scripts/fresh-project.ts [kind ...]   (kinds: prisma7-esm prisma7-cjs prisma6-esm)
 *   PHS_FRESH_KEEP=1 keeps the folders; PHS_FRESH_DIR sets where they go (default: the OS temp dir).
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { packLibrary } from "./pack.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

interface Kind {
  readonly name: string;
  /** Exact versions for the README's unversioned Prisma packages. */
  readonly versions: Record<string, string>;
  readonly type: "module" | "commonjs";
  readonly tsconfig: object;
}

const STRICT = { strict: true, noUncheckedIndexedAccess: true, skipLibCheck: false, noEmit: true, types: ["node"] };
// The generated client imports its own files as ./x.ts: every project allows that.
const ESM_TSCONFIG = {
  target: "ES2022",
  module: "NodeNext",
  moduleResolution: "NodeNext",
  ...STRICT,
  allowImportingTsExtensions: true,
};
const PRISMA_7 = { prisma: "7.10.1", "@prisma/client": "7.10.0", "@prisma/adapter-pg": "7.10.1" };
const KINDS: readonly Kind[] = [
  {
    name: "prisma7-esm",
    versions: PRISMA_7,
    type: "module",
    tsconfig: ESM_TSCONFIG,
  },
  {
    // A NestJS project's compiler options (nest new), made strict.
    name: "prisma7-cjs",
    versions: PRISMA_7,
    type: "commonjs",
    tsconfig: {
      module: "commonjs",
      declaration: true,
      removeComments: true,
      emitDecoratorMetadata: true,
      experimentalDecorators: true,
      allowSyntheticDefaultImports: true,
      target: "ES2021",
      sourceMap: true,
      outDir: "./dist",
      baseUrl: "./",
      incremental: true,
      ...STRICT,
      allowImportingTsExtensions: true,
    },
  },
  {
    name: "prisma6-esm",
    versions: { prisma: "6.19.3", "@prisma/client": "6.19.3", "@prisma/adapter-pg": "7.10.1" },
    type: "module",
    tsconfig: ESM_TSCONFIG,
  },
];

/** The code block after `<!-- fresh-project: <name> ... -->` in README.md, and the marker's argument. */
function readmeBlock(readme: string, name: string): { code: string; arg: string | undefined } {
  const match = new RegExp(
    `<!-- fresh-project: ${name}(?: ([^ ]+))? -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)^\`\`\``,
    "m",
  ).exec(readme);
  if (!match) throw new Error(`README.md has no block marked <!-- fresh-project: ${name} -->`);
  return { arg: match[1], code: match[2]! };
}

/** Command lines of a sh block, without comments. */
function commands(code: string): string[][] {
  return code
    .split("\n")
    .map((line) => line.replace(/\s+#.*$/, "").trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split(/\s+/));
}

/** Runs a command line to its end; its output, or an error with it when it fails. */
async function sh(line: readonly string[], cwd: string, baseEnv: NodeJS.ProcessEnv, log: string[]): Promise<string> {
  // `NAME=value command ...`, as a POSIX shell reads it.
  const assignments = line.slice(
    0,
    line.findIndex((word) => !/^[A-Z_][A-Z0-9_]*=/.test(word)),
  );
  const env = {
    ...baseEnv,
    ...Object.fromEntries(assignments.map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)])),
  };
  const args = line.slice(assignments.length);
  const [cmd, ...rest] = args;
  const started = performance.now();
  const result = await new Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(cmd!, rest, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.on("error", reject);
      child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
    },
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    const output = `${result.stdout}${result.stderr}`;
    throw new Error(`\`${line.join(" ")}\` failed (exit ${result.status ?? result.signal}) in ${cwd}:\n${output}`);
  }
  log.push(`  $ ${line.join(" ")}  (${seconds} s)`);
  return result.stdout;
}

/** One project kind, start to end; what it did goes to `log` (printed once it is done). */
async function runKind(kind: Kind, tarball: string, readme: string, base: string, log: string[]): Promise<void> {
  const dir = mkdtempSync(join(base, `phs-fresh-${kind.name}-`));
  log.push(`--- ${kind.name} in ${dir}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CHECKPOINT_DISABLE: "1",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false",
    PHS_MODEL_DIR: join(dir, "node_modules/prisma-hybrid-store/models/tiny-minilm"),
    PHS_ALLOW_REMOTE_MODELS: "0",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    // Cached registry metadata is used without asking again: repeated CI runs install from the cache.
    npm_config_prefer_offline: "true",
  };
  delete env.DATABASE_URL;
  for (const key of Object.keys(env))
    if (key.startsWith("npm_package_") || key === "npm_lifecycle_event") delete env[key];
  try {
    await sh(["npm", "init", "-y"], dir, env, log);
    await sh(["npm", "pkg", "set", `type=${kind.type}`], dir, env, log);
    writeFileSync(
      join(dir, "tsconfig.json"),
      `${JSON.stringify({ compilerOptions: kind.tsconfig, include: ["src"] }, null, 2)}\n`,
    );

    for (const args of commands(readmeBlock(readme, "install").code)) {
      const packages = args.indexOf("install") + 1;
      await sh(
        args.map((arg, i) =>
          i < packages || arg.startsWith("-") ? arg : arg === "prisma-hybrid-store" ? tarball : versioned(arg, kind),
        ),
        dir,
        env,
        log,
      );
    }
    for (const args of commands(readmeBlock(readme, "setup").code)) await sh(args, dir, env, log);

    const snippet = readmeBlock(readme, "snippet");
    const file = join(dir, snippet.arg ?? "src/index.ts");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, snippet.code);
    await sh(["npx", "tsc", "-p", "."], dir, env, log);

    const [run] = commands(readmeBlock(readme, "run").code);
    const output = await sh(run!, dir, env, log);
    log.push(output.trimEnd().replace(/^/gm, "    "));
    if (!/Rent is due on the first day of each month\./.test(output))
      throw new Error("the snippet printed no search hit");

    const installed = JSON.parse(readFileSync(join(dir, "node_modules/prisma/package.json"), "utf8")) as {
      version: string;
    };
    // --version runs the schema engine for its version line: /bin/true answers, /bin/false fails it.
    const reported = await sh(
      ["npx", "prisma", "--version"],
      dir,
      { ...env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/true" },
      log,
    );
    const cli = /^prisma\s*:\s*(\S+)/m.exec(reported)?.[1];
    if (cli !== installed.version || cli !== kind.versions.prisma) {
      throw new Error(`npx prisma --version reports ${cli}; the project installed prisma ${installed.version}`);
    }
    const nested = readdirSync(join(dir, "node_modules/prisma-hybrid-store")).includes("node_modules")
      ? readdirSync(join(dir, "node_modules/prisma-hybrid-store/node_modules"))
      : [];
    if (nested.includes("prisma") || nested.includes(".bin"))
      throw new Error(`the library brought its own CLI: ${nested.join(", ")}`);
    log.push(`  npx prisma --version: ${cli}, the project's own`);
  } finally {
    if (!process.env.PHS_FRESH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

/** `@prisma/client` -> `@prisma/client@7.10.0` for the kind's Prisma; other packages as written. */
function versioned(spec: string, kind: Kind): string {
  const version = kind.versions[spec];
  return version === undefined ? spec : `${spec}@${version}`;
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !KINDS.some((k) => k.name === name));
if (unknown.length > 0) {
  console.error(`fresh-project: unknown kind ${unknown.join(", ")}; kinds: ${KINDS.map((k) => k.name).join(", ")}`);
  process.exit(2);
}
const readme = readFileSync(join(root, "README.md"), "utf8");
const base = process.env.PHS_FRESH_DIR ?? tmpdir();
mkdirSync(base, { recursive: true });
const started = performance.now();
const tarball = packLibrary(root);
let failed = 0;
try {
  // The kinds at once: most of each is npm installing and processes starting, and they share
  // nothing but npm's cache (safe for concurrent installs) and the tarball (read only). Each
  // embedded database takes a free port.
  await Promise.all(
    KINDS.filter((k) => wanted.length === 0 || wanted.includes(k.name)).map(async (kind) => {
      const t0 = performance.now();
      const log: string[] = [];
      try {
        await runKind(kind, tarball, readme, base, log);
        log.push(`--- ${kind.name}: ok (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
        console.log(log.join("\n"));
      } catch (error) {
        failed++;
        log.push(`--- ${kind.name}: FAILED\n${error instanceof Error ? error.message : String(error)}`);
        console.error(log.join("\n"));
      }
    }),
  );
} finally {
  rmSync(dirname(tarball), { recursive: true, force: true });
}
console.log(
  `fresh-project: ${failed === 0 ? "all passed" : `${failed} failed`} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
process.exit(failed === 0 ? 0 : 1);
