/**
 * The private parts of Prisma's client that src/compat reads, on this repo's Prisma 6.19
 * `prisma-client` client (test/compat/internals.test.ts checks the Prisma 7 and prisma-client-js
 * kinds), and the typed error a client without them gets. No database: the clients never connect.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  adapterSchemaOption,
  clientRuntimeDataModel,
  clientSchemaText,
  isOutsideTransaction,
} from "../../src/compat/prisma-client.ts";
import { PrismaClient } from "../../src/generated/prisma/client.ts";
import { HybridStoreError, hybridStore, UnsupportedPrismaError } from "../../src/index.ts";
import { readAdapterSchema } from "../../src/schema/adapter-schema.ts";
import { readDataModel } from "../../src/schema/data-model.ts";

const URL_NOT_USED = "postgresql://nobody@127.0.0.1:1/none";
const client = (schema?: string) =>
  new PrismaClient({ adapter: new PrismaPg({ connectionString: URL_NOT_USED }, schema ? { schema } : undefined) });

describe("Prisma 6.19 (prisma-client generator) still has what src/compat reads", () => {
  for (const [kind, make] of [
    ["base client", () => client("tenant")],
    ["extended client", () => client("tenant").$extends({})],
  ] as const) {
    it(`${kind}: schema text, runtime data model, adapter schema`, () => {
      const c = make();
      assert.match(clientSchemaText(c) ?? "", /model Annotation \{[^}]*@default\(uuid\(\)\)/);
      assert.deepEqual(Object.keys(clientRuntimeDataModel(c)?.models as object).sort(), ["Annotation", "Document"]);
      assert.equal(adapterSchemaOption(c), "tenant");
    });
  }

  it("no schema option: none read", () => {
    assert.equal(adapterSchemaOption(client()), undefined);
  });

  it("a query extension's __internalParams says the call is outside a transaction", async () => {
    const seen: unknown[] = [];
    const stop = new Error("stop before connecting");
    const probe = client().$extends({
      query: {
        // __internalParams is not in Prisma's types: it is the undocumented part being checked.
        $allOperations: (params) => {
          seen.push((params as { __internalParams?: unknown }).__internalParams);
          throw stop;
        },
      },
    });
    await assert.rejects(probe.document.count(), (e) => e === stop);
    assert.equal(seen.length, 1);
    assert.equal(isOutsideTransaction(seen[0]), true);
  });
});

describe("a Prisma client without them: a typed error, or Prisma's own path", () => {
  const changed = { _engineConfig: { clientVersion: "9.0.0", adapter: { adapterName: "@prisma/adapter-pg" } } };

  it("no _runtimeDataModel: UnsupportedPrismaError naming it (and hybridStore fails on $extends)", () => {
    assert.throws(
      () => readDataModel(changed),
      (e) =>
        e instanceof UnsupportedPrismaError && e.code === "UNSUPPORTED_PRISMA" && e.internal === "_runtimeDataModel",
    );
    assert.throws(
      () => hybridStore()(changed as never),
      (e) => e instanceof HybridStoreError,
    );
  });

  it("adapter-pg options elsewhere: UnsupportedPrismaError, not the public schema", () => {
    assert.throws(
      () => readAdapterSchema(changed),
      (e) => e instanceof UnsupportedPrismaError && e.internal === "_engineConfig.adapter.options",
    );
  });

  it("no schema text or transaction marker: undefined / false, so writes stay Prisma's", () => {
    assert.equal(clientSchemaText(changed), undefined);
    assert.equal(isOutsideTransaction({}), false);
    assert.equal(isOutsideTransaction(undefined), false);
    assert.equal(isOutsideTransaction({ transaction: { kind: "batch" } }), false);
  });

  it("an object that is no Prisma client is not mistaken for a changed one", () => {
    assert.equal(clientRuntimeDataModel({}), undefined);
    assert.equal(adapterSchemaOption({}), undefined);
  });
});
