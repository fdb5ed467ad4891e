/**
 * One worker of `npm test` (scripts/test.ts forks it with an IPC channel): its own fresh,
 * migrated database, then the test files the runner sends, one at a time, each in its own
 * process, bundled (scripts/test-bundle.ts). Files on different workers never share a database,
 * so they cannot see each other's rows, settings or triggers.
 *
 * - Default: an embedded PGlite server in this process (one per worker: PGlite runs on one
 *   thread, so workers sharing one would queue behind each other), started from a copy of the
 *   migrated template the runner passes in PHS_TEST_PGLITE_TEMPLATE (scripts/pglite-template.ts),
 *   or else created and migrated here.
 * - With TEST_DATABASE_URL: a scratch database on that server, dropped at the end: a copy of the
 *   migrated template database the runner names in PHS_TEST_SERVER_TEMPLATE
 *   (scripts/server-template.ts), or else created and migrated here.
 *
 * Messages in: `{ file }` runs a file, `{ stop: true }` cleans up and exits. Messages out:
 * `{ ready: true }` once the database is migrated (or `{ failed }`), then one {@link FileResult}
 * per file.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedDatabase } from "../src/db/embedded.ts";
import { createScratchDatabase } from "./scratch-database.ts";
import { bundleDir, testBundler } from "./test-bundle.ts";
import { capture, cpuMs } from "./test-process.ts";

export interface FileResult {
  readonly file: string;
  readonly code: number;
  readonly ms: number;
  /**
   * CPU time of the file's process and every process it waited for, and on PGlite of the
   * worker's database serving it: unlike `ms`, it does not grow with the machine's load.
   * Missing where /proc is (not Linux).
   */
  readonly cpuMs?: number;
  readonly output: string;
}

export type WorkerMessage = { ready: true } | { failed: string } | FileResult;
/** `noDatabase`: run the file with DATABASE_URL unset (scripts/test-targets.ts TARGET_FREE). */
export type RunnerMessage = { file: string; noDatabase: boolean } | { stop: true };

const send = (m: WorkerMessage) => process.send?.(m);

const serverUrl = process.env.TEST_DATABASE_URL;

const template = serverUrl ? process.env.PHS_TEST_SERVER_TEMPLATE : process.env.PHS_TEST_PGLITE_TEMPLATE;

async function openDatabase(): Promise<{ url: string; migrated: boolean; close: () => Promise<void> }> {
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl, { template });
    return { url: scratch.url, migrated: !!template, close: scratch.drop };
  }
  const dir = mkdtempSync(join(tmpdir(), "phs-test-"));
  if (template) cpSync(template, join(dir, "pgdata"), { recursive: true });
  const db = await startEmbeddedDatabase({ dataDir: join(dir, "pgdata"), maxConnections: 8, handleSignals: false });
  return {
    url: db.url,
    migrated: !!template,
    close: async () => {
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
const bundler = testBundler(bundleDir("tests"));
process.on("exit", () => bundler.dispose());
try {
  db = await openDatabase();
  const env = { ...process.env, DATABASE_URL: db.url, PHS_TEST_TARGET: serverUrl ? "server" : "pglite" };
  if (!db.migrated) {
    const migrate = await capture("npx", ["prisma", "migrate", "deploy"], env);
    if (migrate.code !== 0) throw new Error(`prisma migrate deploy failed:\n${migrate.output}`);
  }
  process.on("message", async (m: RunnerMessage) => {
    if ("stop" in m) {
      await db?.close();
      process.exit(0);
    }
    const started = performance.now();
    const cpu = cpuMs();
    const run = await bundler.command(m.file);
    const fileEnv = m.noDatabase ? { ...env, DATABASE_URL: undefined } : env;
    const r = await capture(process.execPath, ["--test-reporter=spec", ...run.args], fileEnv);
    const output = run.tsxReason ? `(under tsx: ${run.tsxReason})\n${r.output}` : r.output;
    send({ file: m.file, code: r.code, ms: performance.now() - started, cpuMs: cpu.since(), output });
  });
  // The runner gone (killed, or crashed) leaves nobody to send `stop`.
  process.on("disconnect", () => void db?.close().then(() => process.exit(1)));
  send({ ready: true });
} catch (error) {
  send({ failed: error instanceof Error ? error.message : String(error) });
  await db?.close();
  process.exit(1);
}
