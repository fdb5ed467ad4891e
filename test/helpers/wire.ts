/** A raw PostgreSQL wire-protocol client for tests of the embedded server (node:net, no driver). */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";

export interface Message {
  readonly type: string;
  readonly body: Buffer;
}

/** A frontend message: type byte, length, body. */
export function message(type: string, ...parts: (string | Buffer | number[])[]): Buffer {
  const body = Buffer.concat(
    parts.map((p) => (typeof p === "string" ? Buffer.from(`${p}\0`) : Array.isArray(p) ? Buffer.from(p) : p)),
  );
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}
export const int16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
export const int32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
export const parse = (sql: string) => message("P", "", sql, int16(0));
export const bind = (...values: string[]) =>
  message(
    "B",
    "",
    "",
    int16(0),
    int16(values.length),
    ...values.flatMap((v) => [int32(Buffer.byteLength(v)), Buffer.from(v)]),
    int16(0),
  );
export const execute = () => message("E", "", int32(0));
export const sync = () => message("S");
export const flush = () => message("H");
export const query = (sql: string) => message("Q", sql);

/** A raw protocol connection: sends bytes, and reads backend messages as they arrive. */
export class Wire {
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

  /** Connects and starts up; `params` are extra start-up parameters (e.g. `options`). */
  static async open(url: string, params: Record<string, string> = {}): Promise<Wire> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const wire = new Wire(socket);
    const all = { user: "postgres", database: "postgres", ...params };
    const packed = Buffer.from(
      `${Object.entries(all)
        .map(([k, v]) => `${k}\0${v}\0`)
        .join("")}\0`,
    );
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + packed.length, 0);
    startup.writeInt32BE(196608, 4);
    wire.send(Buffer.concat([startup, packed]));
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

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when the server has closed the connection. */
  async untilClosed(): Promise<void> {
    while (!this.#closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    this.#socket.destroy();
  }
}

/** The text columns of the data rows among `messages`; an error response fails the test. */
export function rows(messages: readonly Message[]): string[][] {
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
