import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { DatabaseUnavailableError } from "../errors.ts";
import { takePidLock } from "./pid-lock.ts";
import { WireServer } from "./wire-server.ts";

/** Options for {@link startEmbeddedDatabase}. */
export interface EmbeddedDatabaseOptions {
  /**
   * Where the database lives. Default `.prisma-hybrid-store/pgdata` in the current directory;
   * `"memory"` keeps it in memory (gone on stop).
   */
  dataDir?: string;
  /** Host to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /**
   * Sockets the server accepts at once. All of them share one Postgres backend (queries are
   * queued), so give your client pool at most this many connections. Default 8.
   */
  maxConnections?: number;
  /**
   * Bytes of results a client may leave unread before the server disconnects it (PGlite
   * produces a whole result at once, so this bounds the memory one client can pin). Default
   * 256 MiB; also the largest `COPY ... FROM STDIN` accepted.
   */
  maxBufferedOutput?: number;
  /**
   * How often (ms) to check whether tables need `VACUUM ANALYZE` or `ANALYZE`, as autovacuum
   * would (PGlite has none); 0 turns it off. Default 5000.
   */
  maintenanceIntervalMs?: number;
  /**
   * How long (ms) a connection may keep the one backend while other connections wait and it
   * sends nothing: idle in a transaction, inside an unfinished extended-protocol cycle or COPY,
   * or holding a session advisory lock. It is then disconnected with FATAL 25P03, as
   * PostgreSQL's `idle_in_transaction_session_timeout` does, and its transaction rolled back,
   * so the others go on. A connection alone is never disconnected. 0 turns it off. Default 60000.
   */
  idleInTransactionTimeoutMs?: number;
  /** Close the database on SIGINT/SIGTERM before the process exits. Default true. */
  handleSignals?: boolean;
}

/** A running embedded database. */
export interface EmbeddedDatabase {
  /** `postgresql://...` URL for Prisma, psql or any Postgres client. */
  readonly url: string;
  readonly port: number;
  /** Absolute data directory, or `"memory"`. */
  readonly dataDir: string;
  /** Stops the server and closes PGlite so everything written is on disk. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Where {@link startEmbeddedDatabase} keeps its data when `dataDir` is not given (relative to the
 * working directory); the CLI's `db` command and its other commands use the same folder.
 *
 * @example
 * ```ts
 * const db = await startEmbeddedDatabase(); // data in DEFAULT_DATA_DIR
 * ```
 */
export const DEFAULT_DATA_DIR = ".prisma-hybrid-store/pgdata";

/**
 * Starts PostgreSQL (PGlite, Postgres in WASM) with pgvector and serves it on the wire
 * protocol, so Prisma and any other Postgres client can use it. No server to install.
 *
 * @example
 * ```ts
 * const db = await startEmbeddedDatabase({ dataDir: "./.data" });
 * process.env.DATABASE_URL = db.url;
 * // ... use Prisma ...
 * await db.stop();
 * ```
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions = {}): Promise<EmbeddedDatabase> {
  const host = options.host ?? "127.0.0.1";
  const maxConnections = options.maxConnections ?? 8;
  const dataDir = options.dataDir === "memory" ? "memory" : resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  // A new data directory costs PGlite's initdb (seconds): find a taken port before that.
  if (options.port) await probePort(host, options.port);
  if (dataDir !== "memory") mkdirSync(dataDir, { recursive: true });
  const unlock = dataDir === "memory" ? () => {} : lock(dataDir);

  let db: PGlite;
  try {
    db = await PGlite.create({ dataDir: dataDir === "memory" ? undefined : dataDir, extensions: { vector } });
  } catch (cause) {
    unlock();
    throw new DatabaseUnavailableError(
      `Could not open the embedded database in ${dataDir}. Is another process using it? ` +
        "Stop it, or choose another data directory.",
      { cause },
    );
  }
  // Our own wire server, not pglite-socket's: see src/db/wire-server.ts and
  // docs/embedded-database.md for what it does per connection on PGlite's single backend.
  const server = new WireServer(db, {
    host,
    port: options.port ?? 0,
    maxConnections,
    maxBufferedOutput: options.maxBufferedOutput ?? 256 * 1024 * 1024,
    maintenanceIntervalMs: options.maintenanceIntervalMs ?? 5000,
    idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? 60_000,
  });
  let port: number;
  try {
    port = await server.listen();
  } catch (cause) {
    await db.close();
    unlock();
    throw listenFailure(host, options.port ?? 0, cause);
  }

  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    void stop().finally(() => process.kill(process.pid, signal));
  };
  const stop = () => {
    stopping ??= (async () => {
      process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
      await server.stop();
      await db.close();
      unlock();
    })();
    return stopping;
  };
  if (options.handleSignals ?? true) process.once("SIGINT", onSignal).once("SIGTERM", onSignal);

  return {
    url: `postgresql://postgres:postgres@${host}:${port}/postgres?sslmode=disable`,
    port,
    dataDir,
    stop,
  };
}

/**
 * PGlite takes no lock of its own: two instances on one directory both start, and what one of
 * them writes is lost. A lock file beside the directory, with the owner's pid, prevents that; a
 * lock left by a process that no longer runs is taken over.
 */
function lock(dataDir: string): () => void {
  const taken = takePidLock(`${dataDir}.lock`);
  if ("release" in taken) return taken.release;
  throw new DatabaseUnavailableError(
    taken.owner > 0
      ? `The embedded database in ${dataDir} is in use by another process (pid ${taken.owner}). ` +
          "Stop it, use its DATABASE_URL, or choose another data directory."
      : `Could not lock ${dataDir}.`,
  );
}

const listenFailure = (host: string, port: number, cause: unknown) =>
  new DatabaseUnavailableError(`Could not listen on ${host}:${port}: ${(cause as Error).message}`, { cause });

/** Binds and releases `host:port`, so a taken port fails before anything is created. */
function probePort(host: string, port: number): Promise<void> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", (cause) => fail(listenFailure(host, port, cause)));
    probe.listen(port, host, () => probe.close(() => done()));
  });
}
