/**
 * Issue #8, found by the concurrent-writers fault on PGlite: the embedded server must keep each
 * connection's queries apart. pglite-socket hands PGlite one protocol message at a time, so two
 * connections' extended-protocol queries interleaved on its single backend (a client got
 * another client's rows, or 26000 "unnamed prepared statement does not exist", and the queue
 * could stall for good: electric-sql/pglite#1046). src/db/wire-server.ts keeps them apart; these
 * tests speak the wire protocol directly, so the interleaving is forced rather than hoped for.
 * They start their own in-memory embedded database, so they run the same on both targets.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type EmbeddedDatabase, startEmbeddedDatabase } from "../../src/db/embedded.ts";
import { within } from "../helpers/time.ts";

interface Message {
  readonly type: string;
  readonly body: Buffer;
}

/** A frontend message: type byte, length, body. */
function message(type: string, ...parts: (string | Buffer | number[])[]): Buffer {
  const body = Buffer.concat(
    parts.map((p) => (typeof p === "string" ? Buffer.from(`${p}\0`) : Array.isArray(p) ? Buffer.from(p) : p)),
  );
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}
const int16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const int32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const parse = (sql: string) => message("P", "", sql, int16(0));
const bind = (...values: string[]) =>
  message(
    "B",
    "",
    "",
    int16(0),
    int16(values.length),
    ...values.flatMap((v) => [int32(Buffer.byteLength(v)), Buffer.from(v)]),
    int16(0),
  );
const execute = () => message("E", "", int32(0));
const sync = () => message("S");
const flush = () => message("H");
const query = (sql: string) => message("Q", sql);

/** A raw protocol connection: sends bytes, and reads backend messages as they arrive. */
class Wire {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  readonly #received: Message[] = [];
  #waiters: (() => void)[] = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("close", () => {
      this.#closed = true;
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on("data", (data: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, data]);
      while (this.#buffer.length >= 5) {
        const length = this.#buffer.readInt32BE(1);
        if (this.#buffer.length < 1 + length) break;
        this.#received.push({
          type: String.fromCharCode(this.#buffer[0]!),
          body: this.#buffer.subarray(5, 1 + length),
        });
        this.#buffer = this.#buffer.subarray(1 + length);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  static async open(url: string): Promise<Wire> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const wire = new Wire(socket);
    const params = Buffer.from("user\0postgres\0database\0postgres\0\0");
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196608, 4);
    wire.send(Buffer.concat([startup, params]));
    await wire.until("Z");
    return wire;
  }

  send(...messages: Buffer[]): void {
    this.#socket.write(Buffer.concat(messages));
  }

  /** Messages up to and including the first of `type`, removed from what was received. */
  async until(type: string): Promise<Message[]> {
    for (;;) {
      const i = this.#received.findIndex((m) => m.type === type);
      if (i !== -1) return this.#received.splice(0, i + 1);
      if (this.#closed) throw new Error(`the server closed the connection before sending "${type}"`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** The text columns of the data rows among `messages`; an error response fails the test. */
function rows(messages: readonly Message[]): string[][] {
  const error = messages.find((m) => m.type === "E");
  if (error) assert.fail(`error response: ${error.body.toString().replace(/\0/g, " ").trim()}`);
  return messages
    .filter((m) => m.type === "D")
    .map((m) => {
      const values: string[] = [];
      let at = 2;
      for (let c = 0; c < m.body.readInt16BE(0); c++) {
        const length = m.body.readInt32BE(at);
        values.push(m.body.subarray(at + 4, at + 4 + length).toString());
        at += 4 + length;
      }
      return values;
    });
}

// Safety nets: if the server stalled, these end the test instead of hanging the suite.
const SAFETY_MS = 60_000;
const settle = <T>(p: Promise<T>) =>
  within(p, SAFETY_MS).then((r) => {
    assert.notEqual(r, "timed out", "the server stopped answering");
    return r as T;
  });

let db: EmbeddedDatabase;
before(async () => {
  // More sockets than the tests hold at once: a closed one is released a moment after close().
  db = await startEmbeddedDatabase({ dataDir: "memory", maxConnections: 16, handleSignals: false });
});
after(() => db.stop());

describe("the embedded server keeps each connection's queries apart", () => {
  test("a query sent by B between A's Parse and A's Bind does not touch A's statement", async () => {
    const a = await Wire.open(db.url);
    const b = await Wire.open(db.url);
    try {
      a.send(parse("SELECT $1::text AS from_a"), flush());
      await settle(a.until("1")); // ParseComplete: A is in the middle of its query
      b.send(parse("SELECT 'from b' AS from_b"), bind(), execute(), sync());
      const bDone = b.until("Z");
      // Time for B to run if the server let it (it must not). Not a measurement: the
      // assertions below hold whatever B did meanwhile.
      await Promise.race([bDone, sleep(300)]);
      a.send(bind("from a"), execute(), sync());
      assert.deepEqual(rows(await settle(a.until("Z"))), [["from a"]]);
      assert.deepEqual(rows(await settle(bDone)), [["from b"]]);
    } finally {
      a.close();
      b.close();
    }
  });

  test("four connections with large and small parameters each get their own rows", async () => {
    const wires = await Promise.all(Array.from({ length: 4 }, () => Wire.open(db.url)));
    const big = "x".repeat(300_000); // several TCP segments: the server sees it in pieces
    try {
      await settle(
        Promise.all(
          wires.map(async (wire, k) => {
            for (let i = 0; i < 25; i++) {
              const value = k % 2 ? `${big}${k}:${i}` : `${k}:${i}`;
              wire.send(parse(`SELECT length($1::text)::text AS n${k}, right($1::text, 8) AS tail`), bind(value));
              wire.send(execute(), sync());
              assert.deepEqual(rows(await wire.until("Z")), [[String(value.length), value.slice(-8)]]);
            }
          }),
        ),
      );
    } finally {
      for (const wire of wires) wire.close();
    }
  });

  test("a connection that goes away in the middle of a query does not block the others", async () => {
    const a = await Wire.open(db.url);
    const b = await Wire.open(db.url);
    try {
      a.send(parse("SELECT $1::text"), flush());
      await settle(a.until("1"));
      a.close();
      b.send(query("SELECT 'still served'"));
      assert.deepEqual(rows(await settle(b.until("Z"))), [["still served"]]);
    } finally {
      b.close();
    }
  });

  test("a connection that goes away inside a transaction: it is rolled back and the others go on", async () => {
    const setup = await Wire.open(db.url);
    const a = await Wire.open(db.url);
    const b = await Wire.open(db.url);
    try {
      setup.send(query("CREATE TABLE left_open (v text)"));
      await settle(setup.until("Z"));
      a.send(query("BEGIN; INSERT INTO left_open VALUES ('uncommitted')"));
      await settle(a.until("Z"));
      a.close();
      b.send(query("SELECT count(*)::text FROM left_open"));
      assert.deepEqual(rows(await settle(b.until("Z"))), [["0"]]);
    } finally {
      setup.close();
      b.close();
    }
  });
});
