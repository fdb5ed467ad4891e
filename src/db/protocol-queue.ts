import type { PGlite } from "@electric-sql/pglite";
import type { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/** One frontend message waiting for PGlite, as pglite-socket 0.2 queues it. */
interface QueuedMessage {
  readonly handlerId: number;
  readonly message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: Error): void;
  onData(data: Uint8Array): void;
}

/** The parts of pglite-socket's (private) QueryQueueManager that are replaced here. */
interface QueryQueue {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  readonly db: PGlite;
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

// Extended-protocol messages after which the connection's next message must come before anyone
// else's: Parse, Bind, Describe, Execute, Close, Flush, CopyData. Sync ends the cycle (the
// backend answers ReadyForQuery); a simple Query, Terminate and the startup message are whole.
const CYCLE_CONTINUES = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48, 0x64]);
const SYNC = Uint8Array.of(0x53, 0, 0, 0, 4);
const ROLLBACK = (() => {
  const sql = new TextEncoder().encode("ROLLBACK\0");
  const message = new Uint8Array(5 + sql.length);
  message[0] = 0x51;
  new DataView(message.buffer).setInt32(1, 4 + sql.length);
  message.set(sql, 5);
  return message;
})();

/**
 * Makes pglite-socket (0.2.17) safe for several connections. Its queue hands PGlite one message
 * at a time, keeping a connection's turn only inside an explicit transaction. But an extended-
 * protocol query (Parse, Bind, Describe, Execute, Sync) is not in a transaction between its
 * messages, so two connections' queries interleave on PGlite's single backend: one Bind uses the
 * other's statement, and a client gets another client's rows or "unnamed prepared statement does
 * not exist" (26000). And an error thrown by PGlite left the queue marked busy, so every later
 * query waited forever (electric-sql/pglite#1046, open upstream).
 *
 * The queue is replaced by one that keeps a connection's turn until its cycle ends (Sync) and
 * its transaction ends, that goes on after an error, and that, when a connection goes away in
 * the middle of a cycle or a transaction, ends them (Sync, ROLLBACK) so nobody waits for it.
 * Returns false, changing nothing, when the library's internals are not the ones expected.
 */
export function isolateConnections(server: PGLiteSocketServer): boolean {
  const q = (server as unknown as { queryQueue?: Partial<QueryQueue> }).queryQueue;
  if (
    !q ||
    !Array.isArray(q.queue) ||
    typeof q.processQueue !== "function" ||
    typeof q.clearQueueForHandler !== "function" ||
    typeof q.db?.runExclusive !== "function" ||
    typeof q.db?.execProtocolRawStream !== "function" ||
    typeof q.db?.isInTransaction !== "function"
  ) {
    return false;
  }
  const queue = q as QueryQueue;
  const db = queue.db;
  /** The connection in the middle of an extended-protocol cycle, whose messages go first. */
  let midCycle: number | null = null;
  /** Connections that went away while they held the backend (mid-cycle or in a transaction). */
  const gone = new Set<number>();
  let inFlight: number | null = null;
  const run = (message: Uint8Array, onData: (data: Uint8Array) => void = () => {}) =>
    db.runExclusive(() => db.execProtocolRawStream(message, { onRawData: onData }));

  const owner = (): number | null => midCycle ?? (db.isInTransaction() ? queue.lastHandlerId : null);

  queue.processQueue = async function processQueue(this: QueryQueue) {
    if (queue.processing) return;
    queue.processing = true;
    try {
      for (;;) {
        const turn = owner();
        if (turn !== null && gone.has(turn)) {
          // Its client is gone: finish what it left open so the backend serves the others.
          await run(SYNC).catch(() => undefined);
          if (db.isInTransaction()) await run(ROLLBACK).catch(() => undefined);
          gone.delete(turn);
          midCycle = null;
          queue.lastHandlerId = null;
          continue;
        }
        const index = turn === null ? 0 : queue.queue.findIndex((m) => m.handlerId === turn);
        if (index === -1 || queue.queue.length === 0) break;
        const [item] = queue.queue.splice(index, 1);
        if (!item) break;
        let bytes = 0;
        inFlight = item.handlerId;
        try {
          await run(item.message, (data) => {
            bytes += data.length;
            item.onData(data);
          });
        } catch (error) {
          // The cycle is broken either way; the next Sync from this client resynchronises it.
          midCycle = null;
          item.reject(error as Error);
          continue;
        } finally {
          inFlight = null;
        }
        queue.lastHandlerId = item.handlerId;
        midCycle = CYCLE_CONTINUES.has(item.message[0] ?? 0) ? item.handlerId : null;
        item.resolve(bytes);
      }
      // Nothing is in flight: only the owner can still need cleaning up, and it was.
      gone.clear();
    } finally {
      queue.processing = false;
    }
  };

  const clear = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    if (handlerId === owner() || handlerId === inFlight) {
      gone.add(handlerId);
      void queue.processQueue();
    }
  };
  return true;
}
