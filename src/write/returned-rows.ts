import { isDeepStrictEqual } from "node:util";
import { isPlainObject } from "../plain-object.ts";

/**
 * Whether the row a nested create's statement returns is what Prisma's read-back would return.
 * A row is trusted once a read-back equalled one (deep, strict: keys, types, prototypes) and
 * each of its non-null fields has been compared non-null before: a field that was null until
 * now may be of a type the raw row returns otherwise (a `@db.Time`, say), so its first value is
 * compared too. One difference and the client reads back for good (a global `omit`, another
 * extension's computed fields, a field the raw row lacks).
 */
export class ReturnedRows {
  #differ = false;
  #proven: Set<string> | undefined;

  /** A read-back differed from a returned row: this client always reads back. */
  get differ(): boolean {
    return this.#differ;
  }

  trusts(row: unknown): boolean {
    const proven = this.#proven;
    if (this.#differ || !proven || !isPlainObject(row)) return false;
    return Object.entries(row).every(([k, v]) => v === null || proven.has(k));
  }

  compare(row: unknown, readBack: unknown): void {
    if (!isDeepStrictEqual(row, readBack) || !isPlainObject(row)) {
      this.#differ = true;
      return;
    }
    this.#proven ??= new Set();
    for (const [k, v] of Object.entries(row)) if (v !== null) this.#proven.add(k);
  }
}
