import { randomBytes } from "node:crypto";
import pg from "pg";
import type { ScratchDatabase } from "./scratch-database.ts";

/**
 * A new, empty database on a running Citus cluster, for one test or benchmark run.
 *
 * Citus keeps its metadata (nodes, shards) per database, so a new database is a new cluster to
 * set up: the database and the `citus` extension on every node (workers first, since adding a
 * node needs it there), `vector` on the coordinator (Citus creates it on the workers when they
 * are added), then the coordinator's host and the workers registered in the new database. The
 * nodes are read from the cluster behind `serverUrl` (its `postgres` database, as
 * citus-cluster.sh sets it up). Dropped on every node afterwards.
 */
export async function createCitusScratchDatabase(serverUrl: string): Promise<ScratchDatabase> {
  const name = `phs_citus_${process.pid}_${randomBytes(3).toString("hex")}`;
  const coordinator = new URL(serverUrl);
  const workers = await run(serverUrl, async (c) => {
    const { rows } = await c.query<{ nodename: string; nodeport: number }>(
      "SELECT nodename, nodeport FROM pg_dist_node WHERE groupid > 0 AND noderole = 'primary' AND isactive ORDER BY nodeid",
    );
    return rows.map((r) => nodeUrl(serverUrl, r.nodename, r.nodeport));
  });
  if (workers.length === 0) throw new Error(`no active Citus workers registered at ${coordinator.host}`);
  const nodes = [...workers, serverUrl];
  const drop = async () => {
    for (const node of nodes) await run(node, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  };
  try {
    for (const node of nodes) {
      await run(node, (c) => c.query(`CREATE DATABASE "${name}"`));
      await run(inDatabase(node, name), (c) => c.query("CREATE EXTENSION IF NOT EXISTS citus"));
    }
    await run(inDatabase(serverUrl, name), async (c) => {
      await c.query("CREATE EXTENSION IF NOT EXISTS vector");
      await c.query("SELECT citus_set_coordinator_host($1, $2)", [coordinator.hostname, Number(coordinator.port)]);
      for (const worker of workers) {
        const w = new URL(worker);
        await c.query("SELECT citus_add_node($1, $2)", [w.hostname, Number(w.port)]);
      }
    });
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
  return { name, url: inDatabase(serverUrl, name), drop };
}

/** The URL of a worker as the coordinator knows it, with the coordinator URL's credentials. */
function nodeUrl(serverUrl: string, host: string, port: number): string {
  const url = new URL(serverUrl);
  url.hostname = host;
  url.port = String(port);
  return url.toString();
}

function inDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function run<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
