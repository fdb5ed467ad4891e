import assert from "node:assert/strict";
import { test } from "node:test";
import type { HybridStoreError, HybridStoreErrorCode } from "../../src/errors.ts";
import { assertUnchanged, deleteRows, snapshot } from "./snapshot.ts";

// biome-ignore lint/suspicious/noExplicitAny: any error class, whatever its constructor takes
type ErrorClass = abstract new (...args: any[]) => Error;

/** Rows a case wrote on purpose; they are checked by the case, then deleted before the comparison. */
export interface Created {
  readonly table: "Document" | "Annotation";
  readonly ids: readonly string[];
}

/**
 * One bad input. Exactly one of `rejects` and `accepts`:
 * - `rejects`: the input must fail with this error class and, for the library's errors, this
 *   stable `code`; the database must be exactly as before.
 * - `accepts`: the input is data, not an attack (a quote in a value, a 1 MB text): the call must
 *   succeed and `accepts` checks what it returned or stored. Rows it reports as created are
 *   deleted, and then the database must be exactly as before: nothing else was touched.
 */
export interface BadInput {
  readonly name: string;
  readonly run: () => Promise<unknown>;
  readonly rejects?: { readonly type: ErrorClass; readonly code?: HybridStoreErrorCode };
  readonly accepts?: (result: unknown) => Promise<Created | undefined> | Created | undefined;
  /** A known bug in a file this suite may not change: the case states the right behaviour. */
  readonly todo?: string;
}

/** `rejects` for the library's own errors: the class and its stable code. */
export const fails = (type: ErrorClass & { prototype: HybridStoreError }, code: HybridStoreErrorCode) => ({
  type,
  code,
});

/** Registers one node:test test per case: snapshot, run, check, snapshot again. */
export function runCases(cases: readonly BadInput[]): void {
  for (const c of cases) {
    test(c.name, c.todo ? { todo: c.todo } : {}, async () => {
      assert.ok(!c.rejects !== !c.accepts, `${c.name}: give exactly one of rejects and accepts`);
      const before = await snapshot();
      let result: unknown;
      let error: unknown;
      let threw = false;
      try {
        result = await c.run();
      } catch (e) {
        error = e;
        threw = true;
      }
      if (c.rejects) {
        assert.ok(
          threw,
          `expected ${c.rejects.type.name}${c.rejects.code ? ` (${c.rejects.code})` : ""}, but it succeeded`,
        );
        if (!(error instanceof c.rejects.type)) {
          assert.fail(`expected ${c.rejects.type.name}, got ${describe(error)}`);
        }
        if (c.rejects.code) assert.equal((error as HybridStoreError).code, c.rejects.code, describe(error));
      } else {
        if (threw) assert.fail(`expected success, got ${describe(error)}`);
        const created = await c.accepts!(result);
        if (created) await deleteRows(created.table, created.ids);
      }
      await assertUnchanged(before);
    });
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.constructor.name}${typeof code === "string" ? ` ${code}` : ""}: ${error.message.split("\n").filter(Boolean).at(-1)}`;
}
