/**
 * The private parts of Prisma's client that src/compat reads, on every client kind the project
 * tests beside this repo's own (test/unit/compat-prisma-client.test.ts): Prisma 7 `prisma-client`
 * and `prisma-client-js`, Prisma 6.19 `prisma-client-js`. No database: the clients never connect.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { COMPAT_KINDS } from "../../scripts/compat-paths.ts";
import {
  adapterSchemaOption,
  clientRuntimeDataModel,
  clientSchemaText,
  isOutsideTransaction,
} from "../../src/compat/prisma-client.ts";
import { loadProject } from "./compat-project.ts";

const URL_NOT_USED = "postgresql://nobody@127.0.0.1:1/none";

describe("Prisma internals on each client kind", () => {
  for (const kind of COMPAT_KINDS) {
    test(`${kind}: schema text, runtime data model, adapter options, transaction marker`, async (t) => {
      const project = await loadProject(kind);
      const base = project.createBase(URL_NOT_USED);
      t.diagnostic(`${kind} ${project.prismaVersion}`);
      for (const client of [base, base.$extends({})]) {
        assert.match(clientSchemaText(client) ?? "", /model Annotation \{/);
        assert.deepEqual(Object.keys(clientRuntimeDataModel(client)?.models as object).sort(), [
          "Annotation",
          "Document",
        ]);
        // The projects' adapters take no schema option; reading must not throw (the options are where
        // adapter-pg keeps them) and find none.
        assert.equal(adapterSchemaOption(client), undefined);
      }
      const seen: unknown[] = [];
      const stop = new Error("stop before connecting");
      const probe = base.$extends({
        query: {
          $allOperations: ({ __internalParams }: { __internalParams?: unknown }) => {
            seen.push(__internalParams);
            throw stop;
          },
        },
      });
      await assert.rejects(probe.document.count({}), (e) => e === stop);
      assert.deepEqual(seen.map(isOutsideTransaction), [true]);
      await base.$disconnect();
    });
  }
});
