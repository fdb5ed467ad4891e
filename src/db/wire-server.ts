import { createServer, type Server } from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import { quoteIdent } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import { maintainTables } from "./embedded-maintenance.ts";
import { WireConnection } from "./wire-connection.ts";
import {
  commandComplete,
  copyInResponse,
  cString,
  errorResponse,
  type FrontendMessage,
  readyForQuery,
  startupParameters,
  startupSettings,
} from "./wire-protocol.ts";
import { copyFromBlob, type SqlTraits, sqlTraits } from "./wire-sql.ts";

export interface WireServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  /** Unread output a client may leave before it is disconnected. */
  readonly maxBufferedOutput: number;
  /** How often to check whether tables need VACUUM/ANALYZE; 0 turns maintenance off. */
  readonly maintenanceIntervalMs: number;
  /**
   * How long a connection may keep the backend without sending anything while others wait,
   * before it is disconnected (FATAL 25P03); 0 never disconnects it.
   */
  readonly idleInTransactionTimeoutMs: number;
}

const [Q, P, B, S, X, F, H] = ["Q", "P", "B", "S", "X", "F", "H"].map((c) => c.charCodeAt(0));
const COPY_DATA = 0x64;
const COPY_DONE = 0x63;
const COPY_FAIL = 0x66;
const SYNC = Buffer.of(0x53, 0, 0, 0, 4);
const NO_SESSION = "(all connections share one PostgreSQL session)";
/**
 * Maintenance blocks every client while it runs, so it waits for the backend to have been idle
 * this long; under load that never pauses, ANALYZE runs anyway once it has waited
 * MAINTENANCE_OVERDUE_MS.
 */
const MAINTENANCE_IDLE_MS = 1000;
/**
 * VACUUM is slow on HNSW indexes (seconds on tables of some 10k rows), longer than Prisma's 2 s
 * wait for a transaction to start, so it waits for this many maintenance intervals without a
 * client's message (30 s by default) and is never forced: a store that is never idle keeps its
 * dead rows until a pause, while ANALYZE and the exact row counts keep its plans right.
 */
const VACUUM_IDLE_INTERVALS = 6;
const MAINTENANCE_OVERDUE_MS = 60_000;

/**
 * A PostgreSQL wire-protocol server in front of PGlite's single backend. It reads each client's
 * messages itself, so that a malformed one is answered as PostgreSQL does (FATAL 08P01) and never
 * reaches PGlite, gives the backend to one connection at a time (for a whole extended-protocol
 * cycle, transaction, COPY, or while it holds an advisory lock), restores each connection's
 * settings when the backend passes to it, renames named statements per connection, refuses what
 * one shared session cannot give each client, and disconnects a client that stops reading.
 * Between turns, when nobody holds the backend, it runs table maintenance.
 */
export class WireServer {
  readonly #db: PGlite;
  readonly #options: WireServerOptions;
  readonly #server: Server;
  readonly #connections = new Set<WireConnection>();
  #holder: WireConnection | null = null;
  /** The connection whose settings are on the backend. */
  #applied: WireConnection | null = null;
  #pumping: Promise<void> | null = null;
  #again = false;
  #stopped = false;
  #rotation = 0;
  /** Since when maintenance has been due (0: not due). */
  #maintenanceDue = 0;
  #lastTurnAt = 0;
  /** The last pass left VACUUMs for a longer idle moment. */
  #vacuumDeferred = false;
  #timer: NodeJS.Timeout | undefined;
  /** When the connection holding the backend last had a turn. */
  #holderIdleSince = 0;
  #idleCheck: NodeJS.Timeout | undefined;

  constructor(db: PGlite, options: WireServerOptions) {
    this.#db = db;
    this.#options = options;
    this.#server = createServer((socket) => {
      if (this.#stopped || this.#openConnections() >= options.maxConnections) {
        // Closed once the error is out, as PostgreSQL does: a socket only ended, never read,
        // stays open after the client leaves, and server.close() in stop() would never return.
        socket.on("error", () => socket.destroy());
        socket.end(errorResponse("FATAL", "53300", "sorry, too many clients already"), () => socket.destroy());
        return;
      }
      this.#connections.add(new WireConnection(socket, () => this.#wake(), options.maxBufferedOutput));
    });
  }

  /** Starts listening; resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off("error", reject);
        const address = this.#server.address();
        resolve(typeof address === "object" && address ? address.port : this.#options.port);
        if (this.#options.maintenanceIntervalMs > 0) {
          this.#timer = setInterval(() => {
            this.#maintenanceDue ||= Date.now();
            this.#wake();
          }, this.#options.maintenanceIntervalMs).unref();
        }
      });
    });
  }

  /** Disconnects every client, lets the running turn finish, and stops listening. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#idleCheck);
    for (const c of this.#connections) c.close();
    await this.#pumping;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #wake(): void {
    this.#again = true;
    if (this.#pumping || this.#stopped) return;
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = null;
      if (this.#again && !this.#stopped) this.#wake();
    });
  }

  async #pump(): Promise<void> {
    while (!this.#stopped) {
      this.#again = false;
      const work = this.#pick();
      if (work) {
        await work();
        this.#lastTurnAt = Date.now();
      } else if (this.#maintenanceDue !== 0 && this.#holder === null && this.#maintenanceWait() === 0) {
        await this.#maintain();
      } else if (!this.#again) {
        // When a client holds the backend, its next message (or its close) wakes the server,
        // or the end of its idle time if others wait.
        if (this.#maintenanceDue !== 0 && this.#holder === null) {
          setTimeout(() => this.#wake(), this.#maintenanceWait()).unref();
        }
        this.#scheduleIdleCheck();
        return;
      }
      // Let sockets, timers and signals in between turns: the backend runs each one synchronously.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #pick(): (() => Promise<void>) | null {
    const holder = this.#holder;
    if (holder && (holder.closed || holder.holdsBackend)) {
      if (holder.closed) return () => this.#cleanUp(holder);
      if (holder.messages.length > 0) return () => this.#turn(holder);
      return this.#idleHoldLeft(holder) <= 0 ? () => this.#endIdleHold(holder) : null;
    }
    this.#holder = null;
    const list = [...this.#connections];
    for (let k = 0; k < list.length; k++) {
      const c = list[(this.#rotation + k) % list.length] as WireConnection;
      if (c.closed) return () => this.#cleanUp(c);
      if (c.messages.length > 0 && !c.blocked) {
        this.#rotation = (this.#rotation + k + 1) % list.length;
        return () => this.#turn(c);
      }
    }
    return null;
  }

  async #turn(c: WireConnection): Promise<void> {
    const message = c.next();
    if (!message) return;
    try {
      if (message.type === 0) await this.#start(c, message);
      else if (c.copyIn) await this.#copy(c, message);
      else await this.#handle(c, message);
    } catch (error) {
      // PGlite threw instead of answering: end this client; the next turn resynchronises.
      c.fatal("XX000", `embedded database error: ${(error as Error).message}`);
    }
    this.#holder = c.holdsBackend || c.closed ? c : null;
    this.#holderIdleSince = Date.now();
  }

  #openConnections(): number {
    let open = 0;
    for (const c of this.#connections) if (!c.closed) open++;
    return open;
  }

  /**
   * Milliseconds `holder` may still keep the backend idle: the timeout from its last turn or
   * from when another connection started waiting, whichever is later; infinite while nobody waits.
   * PostgreSQL leaves an idle transaction alone by default (it blocks only what it locked); here
   * it blocks every other connection, and a client that waits for one of those (say, a query
   * sent outside its own open transaction) would wait forever.
   */
  #idleHoldLeft(holder: WireConnection): number {
    const timeout = this.#options.idleInTransactionTimeoutMs;
    if (timeout <= 0) return Infinity;
    let waitingSince = Infinity;
    for (const c of this.#connections) {
      if (c !== holder && !c.closed && c.messages.length > 0) waitingSince = Math.min(waitingSince, c.waitingSince);
    }
    return waitingSince === Infinity ? Infinity : Math.max(this.#holderIdleSince, waitingSince) + timeout - Date.now();
  }

  #scheduleIdleCheck(): void {
    const holder = this.#holder;
    if (!holder || this.#idleCheck) return;
    const left = this.#idleHoldLeft(holder);
    if (left === Infinity) return;
    this.#idleCheck = setTimeout(
      () => {
        this.#idleCheck = undefined;
        this.#wake();
      },
      Math.max(0, left),
    );
    this.#idleCheck.unref();
  }

  /** As PostgreSQL's idle_in_transaction_session_timeout ends a session; the next turn rolls it back. */
  async #endIdleHold(holder: WireConnection): Promise<void> {
    const waited = Date.now() - this.#holderIdleSince;
    holder.fatal(
      "25P03",
      `terminating connection due to idle-in-transaction timeout: it kept the embedded database's ` +
        `only backend for ${waited} ms without sending anything while other connections waited`,
    );
  }

  async #start(c: WireConnection, message: FrontendMessage): Promise<void> {
    c.settings = startupSettings(startupParameters(message.bytes));
    try {
      await this.#switchTo(c);
    } catch (error) {
      const e = error as Error & { code?: string };
      c.fatal(e.code ?? "22023", e.message);
      return;
    }
    await this.#run(c, message.bytes);
  }

  async #handle(c: WireConnection, message: FrontendMessage): Promise<void> {
    const { type, bytes } = message;
    if (type === COPY_DATA || type === COPY_DONE || type === COPY_FAIL) return; // ignored outside COPY, as PostgreSQL does
    if (type === X) return c.close();
    if (c.skipToSync) {
      if (type !== S) return;
      c.skipToSync = false;
      if (!c.midCycle) return c.write(readyForQuery(c.status));
    }
    if (c !== this.#applied) await this.#switchTo(c).catch(() => undefined);
    if (type === F) {
      await this.#refuse(c, "the function-call protocol message");
      return c.write(readyForQuery(c.status));
    }
    if (type === Q || type === P) {
      const name = type === P ? cString(bytes, 5) : null;
      const sql = cString(bytes, name ? name.end : 5).text;
      const traits = sqlTraits(sql, type === P);
      if (traits.refused) {
        await this.#refuse(c, traits.refused);
        if (type === Q) return c.write(readyForQuery(c.status));
        c.skipToSync = true;
        return;
      }
      if (traits.copyFromStdin) {
        c.copyIn = { sql, chunks: [], bytes: 0, tooBig: false };
        return c.write(copyInResponse());
      }
      if (name?.text) c.statementTraits.set(name.text, traits);
      this.#note(c, traits);
    } else if (type === B) {
      const portal = cString(bytes, 5);
      const traits = c.statementTraits.get(cString(bytes, portal.end).text);
      if (traits) this.#note(c, traits);
    }
    await this.#run(c, c.names.rewrite(bytes));
  }

  #note(c: WireConnection, traits: SqlTraits): void {
    if (traits.changesSettings) c.settingsChanged = true;
    if (traits.advisory) c.checkAdvisory = true;
  }

  /** Hands one message to the backend and streams its answer to the client. */
  async #run(c: WireConnection, bytes: Buffer): Promise<void> {
    c.output.reset();
    await this.#db.execProtocolRawStream(bytes, {
      onRawData: (data) => {
        c.output.feed(data);
        c.write(data);
      },
    });
    const ready = c.output.ready;
    if (ready) {
      c.status = ready;
      c.midCycle = false;
      if (ready === "I") c.names.transactionEnded();
    } else if (bytes[0] !== Q && bytes[0] !== S && bytes[0] !== 0) {
      c.midCycle = true;
    }
    if (c.checkAdvisory && !c.midCycle && c.status === "I") {
      const { rows } = await this.#db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'",
      );
      c.advisory = (rows[0]?.n ?? 0) > 0;
      c.checkAdvisory = c.advisory;
    }
  }

  async #copy(c: WireConnection, message: FrontendMessage): Promise<void> {
    const copy = c.copyIn;
    if (!copy) return;
    const { type, bytes } = message;
    if (type === H || type === S) return; // PostgreSQL ignores them during COPY FROM STDIN
    if (type === COPY_DATA) {
      copy.bytes += bytes.length - 5;
      if (copy.bytes > this.#options.maxBufferedOutput) {
        copy.tooBig = true;
        copy.chunks.length = 0;
      } else if (!copy.tooBig) copy.chunks.push(Buffer.from(bytes.subarray(5)));
      return;
    }
    c.copyIn = null;
    if (type === COPY_DONE && copy.tooBig) {
      c.write(
        errorResponse("ERROR", "54000", `COPY FROM STDIN data larger than ${this.#options.maxBufferedOutput} bytes`),
      );
      await this.#abortTransaction(c);
    } else if (type === COPY_DONE) {
      try {
        const result = await this.#db.query(copyFromBlob(copy.sql), [], { blob: new Blob(copy.chunks) });
        c.write(commandComplete(`COPY ${result.affectedRows ?? 0}`));
        c.status = this.#db.isInTransaction() ? "T" : "I";
      } catch (error) {
        const e = error as Error & { code?: string };
        c.write(errorResponse("ERROR", e.code ?? "XX000", e.message));
        c.status = this.#db.isInTransaction() ? "E" : "I";
      }
    } else if (type === COPY_FAIL) {
      c.write(errorResponse("ERROR", "57014", `COPY from stdin failed: ${cString(bytes, 5).text}`));
      await this.#abortTransaction(c);
    } else {
      return c.fatal("08P01", `unexpected message type 0x${type.toString(16)} during COPY from stdin`);
    }
    c.write(readyForQuery(c.status));
  }

  /** An ErrorResponse naming a feature one shared session cannot give each connection. */
  async #refuse(c: WireConnection, feature: string): Promise<void> {
    c.write(
      errorResponse(
        "ERROR",
        "0A000",
        `the embedded database server does not support ${feature} ${NO_SESSION}`,
        "See docs/embedded-database.md, or use a PostgreSQL server.",
      ),
    );
    await this.#abortTransaction(c);
  }

  /** An error inside a transaction fails it, as it would on PostgreSQL. */
  async #abortTransaction(c: WireConnection): Promise<void> {
    if (c.status !== "T" || c.midCycle) return;
    await this.#db.exec("DO $$BEGIN RAISE EXCEPTION 'aborted'; END$$").catch(() => undefined);
    c.status = "E";
  }

  /** Puts `c`'s settings on the backend, first reading those of the connection that had it. */
  async #switchTo(c: WireConnection): Promise<void> {
    const previous = this.#applied;
    if (previous === c) return;
    if (previous?.settingsChanged && !previous.closed) {
      const { rows } = await this.#db.query<{ name: string; value: string }>(
        "SELECT name, current_setting(name) AS value FROM pg_settings WHERE source = 'session'",
      );
      previous.settings = new Map(rows.map((r) => [r.name, r.value]));
      previous.settingsChanged = false;
    }
    const custom = previous !== null && (previous.settings.size > 0 || previous.settingsChanged);
    this.#applied = c;
    if (custom) await this.#db.exec("RESET ALL");
    if (c.settings.size > 0) {
      c.settingsChanged = true; // until read back: a bad start-up option may have half-applied
      const params = new SqlParams();
      const settings = `unnest(${params.param([...c.settings.keys()], "text[]")}, ${params.param([...c.settings.values()], "text[]")})`;
      await this.#db.query(`SELECT set_config(n, v, false) FROM ${settings} AS s(n, v)`, [...params.values]);
      c.settingsChanged = false;
    }
  }

  /** Ends what a closed connection left open on the backend and forgets its statements. */
  async #cleanUp(c: WireConnection): Promise<void> {
    this.#connections.delete(c);
    if (this.#holder === c) this.#holder = null;
    const ignore = () => undefined;
    if (c.midCycle) await this.#db.execProtocolRaw(SYNC).catch(ignore);
    if (this.#db.isInTransaction() && (c.status !== "I" || c.midCycle)) await this.#db.exec("ROLLBACK").catch(ignore);
    if (c.advisory || c.checkAdvisory) await this.#db.exec("SELECT pg_advisory_unlock_all()").catch(ignore);
    for (const name of c.names.statements) await this.#db.exec(`DEALLOCATE ${quoteIdent(name)}`).catch(ignore);
  }

  /** Milliseconds until due maintenance may run. */
  #maintenanceWait(): number {
    const now = Date.now();
    const idle = this.#lastTurnAt + (this.#vacuumDeferred ? this.#vacuumIdleMs() : MAINTENANCE_IDLE_MS) - now;
    const overdue = this.#maintenanceDue + MAINTENANCE_OVERDUE_MS - now;
    return Math.max(0, Math.min(idle, overdue));
  }

  async #maintain(): Promise<void> {
    const now = Date.now();
    const vacuum = now - this.#lastTurnAt >= this.#vacuumIdleMs();
    let deferred = false;
    try {
      deferred = (await maintainTables(this.#db, { vacuum })).vacuumDeferred;
    } catch {
      // A failed pass (say, a table dropped meanwhile) is retried at the next interval.
    } finally {
      // A VACUUM left over waits for its pause: the next interval's check makes maintenance due
      // again, and until then nothing runs (no pass after pass while clients keep it busy).
      this.#vacuumDeferred = deferred;
      this.#maintenanceDue = 0;
    }
  }

  #vacuumIdleMs(): number {
    return VACUUM_IDLE_INTERVALS * this.#options.maintenanceIntervalMs;
  }
}
