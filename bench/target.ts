/**
 * Where a benchmark runs: a scratch database on the server named by BENCH_DATABASE_URL or
 * DATABASE_URL (created, migrated, dropped afterwards), or else an embedded PGlite + pgvector
 * server in a temporary directory. Migrations are applied with the real `prisma migrate deploy`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createScratchDatabase } from "../scripts/scratch-database.ts";
import { startEmbeddedDatabase } from "../src/db/embedded.ts";
import { withPg } from "./load.ts";

export type TargetName = "pglite" | "postgres";

export interface Target {
  readonly name: TargetName;
  readonly url: string;
  /** e.g. "PostgreSQL 15.14 + pgvector 0.8.6 (native server)". */
  readonly description: string;
  close(): Promise<void>;
}

export async function openTarget(log: (s: string) => void): Promise<Target> {
  const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  let name: TargetName;
  let url: string;
  let close: () => Promise<void>;
  if (serverUrl) {
    const scratch = await createScratchDatabase(serverUrl);
    name = "postgres";
    url = scratch.url;
    close = scratch.drop;
    log(`target: scratch database ${scratch.name} on ${new URL(serverUrl).host}`);
  } else {
    const dir = mkdtempSync(join(tmpdir(), "phs-bench-"));
    const db = await startEmbeddedDatabase({ dataDir: join(dir, "pgdata"), maxConnections: 16, handleSignals: false });
    name = "pglite";
    url = db.url;
    close = async () => {
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    };
    log(`target: embedded PGlite in ${dir}`);
  }
  try {
    await migrate(url);
    const description = await describe(url, name);
    log(`database: ${description}`);
    return { name, url, description, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function describe(url: string, name: TargetName): Promise<string> {
  return withPg(url, async (c) => {
    const { rows } = await c.query<{ v: string; pgv: string }>(
      `SELECT current_setting('server_version') AS v, (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgv`,
    );
    const where = name === "pglite" ? "PGlite (WASM), one backend" : "native server";
    return `PostgreSQL ${rows[0]!.v.split(" ")[0]} + pgvector ${rows[0]!.pgv} (${where})`;
  });
}

/** Async on purpose: the embedded server lives in this process and must keep answering. */
export function migrate(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["prisma", "migrate", "deploy"], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`prisma migrate deploy failed:\n${out}`))));
  });
}
