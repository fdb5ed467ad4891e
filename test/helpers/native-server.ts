/**
 * Control of the PostgreSQL server under test, for tests that crash and restart it. .ci/run sets
 * PHS_TEST_PG_DATADIR and PHS_TEST_PG_PORT for the server it starts with
 * ../shared/scripts/native-postgres.sh (data directory /tmp/prisma-hybrid-store-pg-$PORT).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { databaseUrl } from "./db.ts";

const dataDir = process.env.PHS_TEST_PG_DATADIR;
const port = process.env.PHS_TEST_PG_PORT;
const bin = process.env.PHS_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** Why this run may not stop the server behind TEST_DATABASE_URL, or false when it may. */
export function serverControlProblem(): string | false {
  if (!dataDir || !port) {
    return "needs control of the server: set PHS_TEST_PG_DATADIR and PHS_TEST_PG_PORT (.ci/run does)";
  }
  if (new URL(databaseUrl()).port !== port) return `PHS_TEST_PG_PORT=${port} is not the port of TEST_DATABASE_URL`;
  return false;
}

/** pg_ctl as the server's owner: root hands over to "postgres", anyone else runs it directly. */
async function pgCtl(...args: string[]): Promise<void> {
  const ctl = [`${bin}/pg_ctl`, "-D", dataDir!, ...args];
  const [cmd, ...rest] = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...ctl] : ctl;
  await promisify(execFile)(cmd!, rest);
}

/** `pg_ctl stop -m immediate`: a crash, with recovery on the next start. */
export const crashServer = (): Promise<void> => pgCtl("stop", "-m", "immediate");

/** restart, not start: pg_ctl reads the port and options of the last start from postmaster.opts. */
export const restartServer = (): Promise<void> => pgCtl("-l", `${dataDir}/server.log`, "-w", "-t", "120", "restart");
