/**
 * `npm test`: runs the whole suite against a fresh, migrated database and cleans up after.
 *
 * - Default: an embedded PGlite + pgvector server in a temporary directory.
 * - With TEST_DATABASE_URL: a new database created on that server (any PostgreSQL with pgvector),
 *   dropped afterwards.
 *
 * Migrations are applied with the real `prisma migrate deploy`. Extra arguments select test
 * files by substring: `npm test -- query`; a filter that selects no file fails the run. When
 * only test/unit files are selected (`npm run test:unit`), no database is started: unit tests
 * must not need one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmbeddedDatabase } from "../src/db/embedded.ts";
import { createScratchDatabase } from "./scratch-database.ts";
import { listTests, run } from "./test-process.ts";

const filters = process.argv.slice(2);
let files = ["test/unit", "test/integration", "test/compat", "test/reliability"]
  .flatMap((dir) => listTests(dir))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));

if (files.length === 0) {
  console.error(`No test file matches ${filters.map((f) => JSON.stringify(f)).join(" or ")}.`);
  process.exit(1);
}
const unit = join("test", "unit");
if (files.every((f) => f.startsWith(unit))) {
  // Unit tests need no database and run concurrently (each file is its own process).
  const env = { ...process.env };
  delete env.DATABASE_URL;
  process.exit(await run(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files], env));
}

// test/compat needs its Prisma 6/7 user projects installed (cached; see scripts/compat-setup.ts).
// If that fails, the other tests still run and the run fails.
let compatSetupFailed = false;
if (files.some((f) => f.startsWith(join("test", "compat")))) {
  compatSetupFailed = (await run(process.execPath, ["--import", "tsx", "scripts/compat-setup.ts"], process.env)) !== 0;
  if (compatSetupFailed) files = files.filter((f) => !f.startsWith(join("test", "compat")));
}

const serverUrl = process.env.TEST_DATABASE_URL;
let url: string;
let cleanup: () => Promise<void>;
if (serverUrl) {
  const scratch = await createScratchDatabase(serverUrl);
  url = scratch.url;
  cleanup = scratch.drop;
  console.log(`test database: ${scratch.name} on ${new URL(serverUrl).host}`);
} else {
  const dir = mkdtempSync(join(tmpdir(), "phs-test-"));
  const db = await startEmbeddedDatabase({ dataDir: join(dir, "pgdata"), maxConnections: 8, handleSignals: false });
  url = db.url;
  cleanup = async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  console.log(`test database: embedded PGlite at ${url}`);
}

let status = 1;
try {
  const env = { ...process.env, DATABASE_URL: url, PHS_TEST_TARGET: serverUrl ? "server" : "pglite" };
  if ((await run("npx", ["prisma", "migrate", "deploy"], env, true)) !== 0)
    throw new Error("prisma migrate deploy failed");
  // With no files (compat setup failed), `node --test` would search the whole directory instead.
  status =
    files.length === 0
      ? 1
      : await run(
          process.execPath,
          ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
          env,
        );
  if (compatSetupFailed) status = 1;
} finally {
  await cleanup();
}
process.exit(status);
