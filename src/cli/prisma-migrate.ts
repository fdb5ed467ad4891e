import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { describeMigrationFailure } from "../db/check.ts";
import { DatabaseUnavailableError, ExtensionMissingError, HybridStoreError } from "../errors.ts";
import { packagePaths } from "./package-paths.ts";

/** What `prisma migrate deploy` did. */
export interface MigrateResult {
  /** Names of the migrations applied by this run (empty when the database was up to date). */
  readonly applied: string[];
  readonly seconds: number;
}

// Prisma 6.19's schema engine (WASM) leaves a 10 s timer running after `migrate deploy` has
// finished, and the process waits for it. Unreferencing long timers in the child lets it exit as
// soon as its work is done; a timer still guarding real work fires as before, because the open
// connection keeps the process alive anyway.
const UNREF_LONG_TIMERS = `data:text/javascript,${encodeURIComponent(
  "const set=globalThis.setTimeout;globalThis.setTimeout=function(f,ms,...a){const t=set(f,ms,...a);" +
    "if(ms>=10000&&t&&typeof t.unref==='function')t.unref();return t};",
)}`;

/**
 * Applies the package's bundled migrations to `url` with the real `prisma migrate deploy`.
 *
 * @throws HybridStoreError (MIGRATION_FAILED, DATABASE_UNAVAILABLE, EXTENSION_MISSING) with one
 *   line that says what to do.
 */
export async function migrateDeploy(url: string): Promise<MigrateResult> {
  const started = performance.now();
  const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  const args = [
    "--import",
    UNREF_LONG_TIMERS,
    prismaCli,
    "migrate",
    "deploy",
    "--schema",
    packagePaths.schema,
    "--config",
    packagePaths.migrateConfig,
  ];
  const env = { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" };
  const { code, output } = await run(process.execPath, args, env);
  if (code !== 0) throw migrationError(output);
  return { applied: appliedMigrations(output), seconds: (performance.now() - started) / 1000 };
}

/** The names Prisma lists under "The following migration(s) have been applied:". */
export function appliedMigrations(output: string): string[] {
  const section = output.split(/following migration(?:\(s\)|s)? ha(?:ve|s) been applied:/)[1];
  if (!section) return [];
  return [...section.matchAll(/^\s*└─\s*(\S+?)\/\s*$/gm)].map((m) => m[1]!);
}

/** One line for a failed deploy: the known causes say what to do, anything else quotes Prisma. */
export function migrationError(output: string): HybridStoreError {
  const known = describeMigrationFailure(output);
  if (known && /reach the database|does not exist|refused the login/.test(known))
    return new DatabaseUnavailableError(known);
  if (known && /pgvector/.test(known)) return new ExtensionMissingError(known);
  if (known) return new HybridStoreError("MIGRATION_FAILED", known);
  const lines = output.split("\n").map((l) => l.trim());
  const error = lines.find((l) => /^(Error|ERROR|Database error)\b/.test(l)) ?? lines.filter(Boolean).at(-1);
  return new HybridStoreError("MIGRATION_FAILED", `prisma migrate deploy failed: ${error ?? "no output"}`);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    // cwd: the package root, so nothing in the user's directory (.env, prisma.config.ts) interferes.
    const child = spawn(cmd, args, { env, cwd: packagePaths.root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}
