import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after } from "node:test";
import { fileURLToPath } from "node:url";
import { cliBundle } from "./cli-bundle.ts";
import { tinyModelDir } from "./store.ts";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs the CLI (src/cli/main.ts, bundled: see cli-bundle.ts) with `args` as a user would, with the
 * test database's DATABASE_URL and the tiny test model, unless `env` says otherwise (`undefined`
 * unsets).
 */
export async function runCli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, PHS_MODEL_DIR: tinyModelDir, PHS_ALLOW_REMOTE_MODELS: "0" };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const main = await cliBundle();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    // Only a guard against a hung command, not a speed limit: on a loaded 2-core machine (CI runs
    // PGlite, server and Citus suites at once) a command that takes seconds alone took over 120 s.
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** `prisma-hybrid-store db` running in the background, as in a user's second terminal. */
export interface DbCli {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** The DATABASE_URL it printed. */
  readonly url: string;
  /** Its exit code, once it has stopped. */
  readonly exited: Promise<number | null>;
  /** What it printed on stderr so far. */
  stderr(): string;
}

/** Starts `db ...args` and resolves once it prints its DATABASE_URL (rejects if it exits first). */
export async function startDbCli(args: readonly string[]): Promise<DbCli> {
  const child = spawn(process.execPath, [await cliBundle(), "db", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const match = /^DATABASE_URL=(\S+)$/m.exec(stdout);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`db exited (${code}) before serving: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

/** The lines a run printed on stderr that are not progress or notes: its error lines. */
export const errorLines = (run: CliRun): string[] =>
  run.stderr.split("\n").filter((line) => line.startsWith("prisma-hybrid-store"));

/**
 * Temporary directories of files to ingest, removed when the test file ends. Call at the top of
 * a test file: it registers the cleanup there.
 */
export function tempCorpora(prefix: string) {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return {
    /** A new directory holding `files` (paths may have subdirectories; text or bytes). */
    corpus(files: Record<string, string | Buffer>): string {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      for (const [name, content] of Object.entries(files)) {
        mkdirSync(join(dir, name, ".."), { recursive: true });
        writeFileSync(join(dir, name), content);
      }
      return dir;
    },
    /** Removes `dir` with the others (a corpus renamed by the test). */
    track(dir: string): void {
      dirs.push(dir);
    },
  };
}
