import type { Socket } from "node:net";
import { StatementNames } from "./wire-names.ts";
import { OutputScanner } from "./wire-output.ts";
import {
  CANCEL_REQUEST,
  errorResponse,
  FRONTEND_TYPES,
  type FrontendMessage,
  GSSENC_REQUEST,
  MAX_MESSAGE_LENGTH,
  PROTOCOL_V3,
  SSL_REQUEST,
  type TransactionStatus,
} from "./wire-protocol.ts";
import type { SqlTraits } from "./wire-sql.ts";

/** Output waiting in a socket above which the connection gets no new turn until it drains. */
const HIGH_WATER = 1 << 20;
/** Input waiting to run above which the socket is paused (TCP then pushes back on the client). */
const INPUT_HIGH_WATER = 4 << 20;

let nextId = 0;

/** One client socket and the session state the server keeps for it on the shared backend. */
export class WireConnection {
  readonly id = ++nextId;
  readonly socket: Socket;
  readonly names = new StatementNames();
  readonly output = new OutputScanner();
  /** Messages received and not yet run. The start-up packet is queued with type 0. */
  readonly messages: FrontendMessage[] = [];
  /** When the oldest of `messages` arrived. */
  waitingSince = 0;
  #queuedBytes = 0;
  #input: Buffer = Buffer.alloc(0);
  started = false;
  closed = false;
  /** Settings this session has (start-up options, SETs), restored when it gets the backend. */
  settings = new Map<string, string>();
  /** A SET may have run since `settings` was read from the backend. */
  settingsChanged = false;
  status: TransactionStatus = "I";
  /** Inside an extended-protocol cycle (messages since the last ReadyForQuery). */
  midCycle = false;
  /** Holds a session-level advisory lock: keeps the backend until it lets go. */
  advisory = false;
  checkAdvisory = false;
  /** After an error the server raised itself in an extended cycle: skip to Sync, as PostgreSQL does. */
  skipToSync = false;
  copyIn: { sql: string; chunks: Buffer[]; bytes: number; tooBig: boolean } | null = null;
  /** Traits of this client's named statements, for when they are bound again later. */
  readonly statementTraits = new Map<string, SqlTraits>();

  constructor(
    socket: Socket,
    private readonly onReady: () => void,
    private readonly maxBufferedOutput: number,
  ) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (data: Buffer) => this.#receive(data));
    socket.on("drain", onReady);
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
  }

  /** Whether the backend must keep serving only this connection. */
  get holdsBackend(): boolean {
    return this.status !== "I" || this.midCycle || this.advisory || this.copyIn !== null;
  }

  /** Whether the client has stopped reading what it was sent. */
  get blocked(): boolean {
    return this.socket.writableLength > HIGH_WATER;
  }

  next(): FrontendMessage | undefined {
    const message = this.messages.shift();
    if (message) this.#queuedBytes -= message.bytes.length;
    if (this.socket.isPaused() && this.#queuedBytes < INPUT_HIGH_WATER && !this.closed) this.socket.resume();
    return message;
  }

  /**
   * Writes backend output to the client. A client that leaves more than `maxBufferedOutput`
   * unread is disconnected and the rest of its output dropped, so one client that never reads
   * cannot make the server hold its whole result (PGlite produces a result in one go).
   */
  write(data: Uint8Array): void {
    if (this.closed) return;
    if (this.socket.writableLength + data.length > this.maxBufferedOutput) {
      this.socket.destroy();
      this.close();
      return;
    }
    this.socket.write(Buffer.from(data));
  }

  /** A protocol violation: FATAL 08P01, as PostgreSQL answers it, then the connection ends. */
  fatal(code: string, message: string): void {
    if (!this.closed) this.socket.end(errorResponse("FATAL", code, message));
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.messages.length = 0;
    this.#input = Buffer.alloc(0);
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.destroy();
    this.onReady();
  }

  #receive(data: Buffer): void {
    if (this.closed) return;
    this.#input = this.#input.length === 0 ? data : Buffer.concat([this.#input, data]);
    while (!this.closed) {
      const message = this.started ? this.#typed() : this.#startup();
      if (!message) break;
      if (this.messages.length === 0) this.waitingSince = Date.now();
      this.messages.push(message);
      this.#queuedBytes += message.bytes.length;
    }
    if (this.#queuedBytes >= INPUT_HIGH_WATER) this.socket.pause();
    this.onReady();
  }

  #typed(): FrontendMessage | null {
    if (this.#input.length < 5) return null;
    const type = this.#input[0] ?? 0;
    const length = this.#input.readInt32BE(1);
    if (!FRONTEND_TYPES.has(type)) {
      this.fatal("08P01", `invalid frontend message type ${type}`);
      return null;
    }
    if (length < 4 || length > MAX_MESSAGE_LENGTH) {
      this.fatal("08P01", `invalid message length ${length}`);
      return null;
    }
    if (this.#input.length < 1 + length) return null;
    const bytes = this.#input.subarray(0, 1 + length);
    this.#input = this.#input.subarray(1 + length);
    return { type, bytes };
  }

  #startup(): FrontendMessage | null {
    if (this.#input.length < 8) return null;
    const length = this.#input.readInt32BE(0);
    if (length < 8 || length > 10_000) {
      this.fatal("08P01", `invalid length of startup packet`);
      return null;
    }
    if (this.#input.length < length) return null;
    const packet = this.#input.subarray(0, length);
    this.#input = this.#input.subarray(length);
    const code = packet.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.socket.write("N");
      return this.#startup();
    }
    if (code === CANCEL_REQUEST) {
      // One backend runs everything; there is no query of this connection's to cancel.
      this.close();
      return null;
    }
    if (code !== PROTOCOL_V3) {
      this.fatal("0A000", `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: server supports 3.0`);
      return null;
    }
    this.started = true;
    return { type: 0, bytes: packet };
  }
}
