import { randomBytes } from "node:crypto";
import pg from "pg";

/** A new, empty database on a PostgreSQL server, for one test or benchmark run. */
export interface ScratchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/** A new database; a copy of `options.template` (a database on the same server) when given. */
export async function createScratchDatabase(
  serverUrl: string,
  options: { template?: string } = {},
): Promise<ScratchDatabase> {
  const name = `phs_${process.pid}_${randomBytes(3).toString("hex")}`;
  await admin(serverUrl, `CREATE DATABASE "${name}"${options.template ? ` TEMPLATE "${options.template}"` : ""}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** Runs one statement (CREATE or DROP DATABASE: outside a transaction) on the server's default database. */
export async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
