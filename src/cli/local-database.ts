import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DatabaseUnavailableError, DEFAULT_DATA_DIR, startEmbeddedDatabase } from "../index.ts";

/** A database a command can connect to, and how to let go of it. */
export interface DatabaseTarget {
  readonly url: string;
  /** Connections the server accepts; the client pool must stay at or below it. */
  readonly maxConnections: number;
  /** How the database was found, for a line on stderr. */
  readonly description: string;
  release(): Promise<void>;
}

interface ServerRecord {
  readonly pid: number;
  readonly url?: string;
  readonly maxConnections?: number;
}

/** Sockets of an embedded server the CLI starts; one client uses one, `db` serves a few apps. */
const CLI_CONNECTIONS = 4;

/**
 * The database of a command: DATABASE_URL when set, otherwise the embedded database in
 * `dataDir`. A data directory must never be opened by two processes at once, so whoever
 * serves it writes `<dataDir>.server.json` (pid, URL): a command that finds a live record
 * connects to that server (a running `db`, say) instead of opening the files itself.
 */
export async function openDatabase(options: { dataDir?: string; port?: number } = {}): Promise<DatabaseTarget> {
  const fromEnv = process.env.DATABASE_URL?.trim();
  if (fromEnv) {
    return {
      url: checkUrl(fromEnv),
      maxConnections: CLI_CONNECTIONS,
      description: "DATABASE_URL",
      release: async () => {},
    };
  }
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const running = await findServer(dataDir);
  if (running?.url) {
    return {
      url: running.url,
      maxConnections: running.maxConnections ?? 1,
      description: `the embedded database in ${dataDir}, served by process ${running.pid}`,
      release: async () => {},
    };
  }
  return startLocal(dataDir, options.port ?? 0, CLI_CONNECTIONS);
}

/** Starts the embedded database in `dataDir` and records it; fails if another process serves it. */
export async function startLocal(dataDir: string, port: number, maxConnections: number): Promise<DatabaseTarget> {
  const record = recordPath(dataDir);
  mkdirSync(dirname(record), { recursive: true });
  // Claim the directory first (an exclusive create); a record left by a dead process is removed
  // by findServer, and the claim is tried once more.
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(record, JSON.stringify({ pid: process.pid }), { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const other = await findServer(dataDir);
      if (!other && attempt === 0) continue;
      const where = other?.url ? ` at ${other.url}` : "";
      throw new DatabaseUnavailableError(
        `The embedded database in ${dataDir} is already served by process ${other?.pid ?? "?"}${where}. ` +
          "Use that one (set DATABASE_URL), stop it, or pass another --data-dir.",
      );
    }
  }
  let db: Awaited<ReturnType<typeof startEmbeddedDatabase>>;
  try {
    db = await startEmbeddedDatabase({ dataDir, port, maxConnections, handleSignals: false });
  } catch (error) {
    rmSync(record, { force: true });
    throw portHint(error, port);
  }
  writeFileSync(record, JSON.stringify({ pid: process.pid, url: db.url, maxConnections }));
  return {
    url: db.url,
    maxConnections,
    description: `the embedded database in ${dataDir}`,
    release: async () => {
      await db.stop();
      rmSync(record, { force: true });
    },
  };
}

/** The live server of `dataDir`, waiting a little for one that is still starting; stale records go. */
async function findServer(dataDir: string): Promise<ServerRecord | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const found = readRecord(dataDir);
    if (!found) return undefined;
    if (!isAlive(found.pid)) {
      rmSync(recordPath(dataDir), { force: true });
      return undefined;
    }
    if (found.url) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  return readRecord(dataDir);
}

function readRecord(dataDir: string): ServerRecord | undefined {
  try {
    const parsed = JSON.parse(readFileSync(recordPath(dataDir), "utf8")) as ServerRecord;
    return typeof parsed.pid === "number" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const recordPath = (dataDir: string) => `${dataDir}.server.json`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function portHint(error: unknown, port: number): unknown {
  const text = String((error as { cause?: unknown }).cause ?? error);
  if (/EADDRINUSE/.test(text)) {
    return new DatabaseUnavailableError(
      `Port ${port} is already in use (another database?). Stop that process or pass --port with another port (0 picks a free one).`,
      { cause: error },
    );
  }
  return error;
}

/** DATABASE_URL must at least parse as a postgres URL; anything else fails here, clearly. */
export function checkUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^postgres(ql)?:$/.test(parsed.protocol)) {
    throw new DatabaseUnavailableError(
      "DATABASE_URL is not a PostgreSQL URL (expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE). Fix it, or unset it to use the embedded database.",
    );
  }
  return url;
}
