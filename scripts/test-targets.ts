import { sep } from "node:path";

/**
 * Files that never use the database under test: some start embedded databases of their own,
 * the others need none (they type-check or read the compatibility projects' clients). On a
 * server (TEST_DATABASE_URL) or on Citus they would repeat exactly what they do in the PGlite
 * run (CI runs all three: .ci/run), so they run only in that one, and with DATABASE_URL unset
 * there, so that a use of the database under test fails instead of passing unnoticed. CPU each
 * (bundled, PGlite target, 2026-12-02): 21, 14, 13, 10 and 10 s; types.test.ts 42 s on the
 * server run of 2026-12-02.
 */
export const TARGET_FREE: Readonly<Record<string, string>> = {
  "cli-db-signals.test.ts": "`db` on data directories of its own, stopped by signals",
  "cli-demo.test.ts": "`demo` starts a throwaway embedded database",
  "embedded-wire.test.ts": "the wire-protocol server of an in-memory embedded database",
  "embedded-connections.test.ts": "connections to an in-memory embedded database",
  "embedded-maintenance.test.ts": "maintenance of an in-memory embedded database",
  "types.test.ts": "tsc over the compatibility projects",
  "data-model.test.ts": "the compatibility projects' client metadata, no connection",
  "internals.test.ts": "the compatibility projects' Prisma internals, no connection",
};

/**
 * Seconds the files of 15 s or more took in CI (2026-12-03: the PGlite and the server run side by
 * side, 2 workers each, on the 2-core machine), per target; Citus takes the server's. Workers
 * take the longest file first (LPT scheduling), so that no worker is left with a long file at the
 * end; files not listed count {@link UNLISTED_SECONDS}.
 */
const SECONDS: Readonly<Record<"pglite" | "server", Readonly<Record<string, number>>>> = {
  pglite: {
    "test/integration/query-recall-calibration.test.ts": 201,
    "test/reliability/faults.test.ts": 181,
    "test/integration/query-paging.test.ts": 169,
    "test/integration/query-halfvec.test.ts": 141,
    "test/integration/llamaindex-churn.test.ts": 115,
    "test/integration/cli-init.test.ts": 104,
    "test/integration/embedded-db.test.ts": 95,
    "test/integration/cli-ingest.test.ts": 60,
    "test/integration/cli-search.test.ts": 56,
    "test/reliability/bad-inputs-cli.test.ts": 48,
    "test/integration/where-fuzz.test.ts": 39,
    "test/compat/types.test.ts": 33,
    "test/integration/db-errors.test.ts": 33,
    "test/integration/your-models-runtime.test.ts": 30,
    "test/integration/cli-db-signals.test.ts": 29,
    "test/reliability/bad-inputs-api.test.ts": 24,
    "test/integration/cli-docs-samples.test.ts": 24,
    "test/integration/cli-db.test.ts": 23,
    "test/integration/cli-errors.test.ts": 21,
    "test/compat/prisma7.test.ts": 20,
    "test/compat/prisma7-client-js.test.ts": 20,
    "test/compat/prisma-client-js.test.ts": 19,
    "test/integration/bulk-load-crash.test.ts": 17,
  },
  server: {
    "test/integration/embedded-db.test.ts": 75,
    "test/integration/cli-ingest.test.ts": 65,
    "test/integration/query-recall-calibration.test.ts": 60,
    "test/integration/your-models-runtime.test.ts": 60,
    "test/compat/types.test.ts": 60,
    "test/reliability/bad-inputs-cli.test.ts": 57,
    "test/reliability/faults.test.ts": 53,
    "test/compat/prisma7-client-js.test.ts": 50,
    "test/reliability/bad-inputs-api.test.ts": 45,
    "test/compat/prisma-client-js.test.ts": 44,
    "test/integration/query-paging.test.ts": 42,
    "test/integration/llamaindex-churn.test.ts": 37,
    "test/integration/server-privileges.test.ts": 37,
    "test/integration/query-halfvec.test.ts": 34,
    "test/integration/cli-search.test.ts": 33,
    "test/reliability/bad-inputs-llamaindex.test.ts": 32,
    "test/integration/your-models-vectors.test.ts": 28,
    "test/compat/prisma7.test.ts": 27,
    "test/integration/where-fuzz.test.ts": 26,
    "test/integration/cli-docs-samples.test.ts": 26,
    "test/integration/db-errors.test.ts": 25,
    "test/integration/cli-init.test.ts": 25,
    "test/integration/bulk-load-crash.test.ts": 23,
    "test/integration/cli-db.test.ts": 22,
    "test/compat/where-fuzz-prisma7.test.ts": 21,
    "test/integration/save-hook.test.ts": 20,
    "test/integration/multi-schema.test.ts": 20,
    "test/integration/server-concurrency.test.ts": 18,
    "test/integration/llamaindex-models.test.ts": 17,
    "test/integration/bulk-load.test.ts": 15,
  },
};
const UNLISTED_SECONDS = 10;

/** What {@link SECONDS} expects `file` (a path relative to the repository) to take on `target`. */
export const expectedSeconds = (file: string, target: "pglite" | "server"): number =>
  SECONDS[target][file.split(sep).join("/")] ?? UNLISTED_SECONDS;
