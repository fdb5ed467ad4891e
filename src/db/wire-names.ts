import { cString, cstr, frame } from "./wire-protocol.ts";

/** Server-wide counter: every client statement or portal gets a backend name used by no other. */
let next = 0;
const PARSE = 0x50;
const BIND = 0x42;
const DESCRIBE = 0x44;
const CLOSE = 0x43;
const EXECUTE = 0x45;

/**
 * Per-connection names of prepared statements and portals, the way PgBouncer (1.21+) keeps
 * them apart in transaction mode: each connection's `by-id` becomes a backend name of its own
 * (`phs_7`), so two connections can prepare the same name and neither can run the other's.
 * The unnamed statement and portal are left alone: a connection holds the backend from its first
 * extended-protocol message to its Sync, so nobody else can touch them in between.
 */
export class StatementNames {
  readonly #statements = new Map<string, string>();
  readonly #portals = new Map<string, string>();

  /** Backend names of this connection's prepared statements (to deallocate when it leaves). */
  get statements(): string[] {
    return [...this.#statements.values()];
  }

  /** Portals end with their transaction. */
  transactionEnded(): void {
    this.#portals.clear();
  }

  /** The message with client names replaced by backend names. */
  rewrite(message: Buffer): Buffer {
    const type = message[0];
    if (type === PARSE) {
      const name = cString(message, 5);
      if (name.text === "") return message;
      let mapped = this.#statements.get(name.text);
      // An existing name is passed on as is, so the backend reports "already exists" itself.
      if (!mapped) {
        mapped = `phs_${++next}`;
        this.#statements.set(name.text, mapped);
      }
      return frame(type, Buffer.concat([cstr(mapped), message.subarray(name.end)]));
    }
    if (type === BIND) {
      const portal = cString(message, 5);
      const statement = cString(message, portal.end);
      if (portal.text === "" && statement.text === "") return message;
      return frame(
        type,
        Buffer.concat([
          cstr(this.#portal(portal.text, true)),
          cstr(this.#statement(statement.text)),
          message.subarray(statement.end),
        ]),
      );
    }
    if (type === EXECUTE) {
      const portal = cString(message, 5);
      if (portal.text === "") return message;
      return frame(type, Buffer.concat([cstr(this.#portal(portal.text, false)), message.subarray(portal.end)]));
    }
    if (type === DESCRIBE || type === CLOSE) {
      const kind = message[5];
      const name = cString(message, 6);
      if (name.text === "") return message;
      const mapped = kind === 0x53 ? this.#statement(name.text) : this.#portal(name.text, false);
      if (type === CLOSE) (kind === 0x53 ? this.#statements : this.#portals).delete(name.text);
      return frame(type, Buffer.concat([Buffer.of(kind ?? 0), cstr(mapped)]));
    }
    return message;
  }

  // A name this connection never prepared maps to one nobody has, so the backend answers
  // "does not exist" instead of running another connection's statement.
  #statement(name: string): string {
    if (name === "") return "";
    return this.#statements.get(name) ?? "phs_unknown";
  }

  #portal(name: string, create: boolean): string {
    if (name === "") return "";
    let mapped = this.#portals.get(name);
    if (!mapped && create) {
      mapped = `phs_p${++next}`;
      this.#portals.set(name, mapped);
    }
    return mapped ?? "phs_unknown";
  }
}
