/**
 * Files that never use the database under test: each starts embedded databases of its own. On a
 * server (TEST_DATABASE_URL) or on Citus they would repeat exactly what they do in the PGlite run
 * (CI runs all three: .ci/run), so they run only in that one, and with DATABASE_URL unset there,
 * so that a use of the database under test fails instead of passing unnoticed. CPU each
 * (bundled, PGlite target, 2026-12-02): 21, 14, 13, 10 and 10 s.
 */
export const EMBEDDED_ONLY: Readonly<Record<string, string>> = {
  "cli-db-signals.test.ts": "`db` on data directories of its own, stopped by signals",
  "cli-demo.test.ts": "`demo` starts a throwaway embedded database",
  "embedded-wire.test.ts": "the wire-protocol server of an in-memory embedded database",
  "embedded-connections.test.ts": "connections to an in-memory embedded database",
  "embedded-maintenance.test.ts": "maintenance of an in-memory embedded database",
};
