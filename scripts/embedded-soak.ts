/**
 * Soak of the embedded server (issue #17), opt-in, not part of `npm test`:
 *
 *   node --import tsx scripts/embedded-soak.ts [--seconds 180] [--unread 1500]
 *
 * Starts an in-memory embedded database, migrates it, then for `--seconds` runs 8 `pg` clients
 * (named statements, per-connection SETs, transactions) and 2 Prisma clients (create + read
 * back, batch transactions) against it, checking every answer. Reports operations, wrong
 * answers, the longest any single operation waited, and this process's RSS (server and clients
 * live in it). With `--unread N`, first has two raw clients send
 * `SELECT repeat('z', 1e6) FROM generate_series(1, N)` and never read, and reports RSS before,
 * while they are connected and after they are gone, and whether another client was served.
 */
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { parseArgs } from "node:util";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { startEmbeddedDatabase } from "../src/db/embedded.ts";
import { PrismaClient } from "../src/generated/prisma/client.ts";

const { values } = parseArgs({ options: { seconds: { type: "string" }, unread: { type: "string" } } });
const seconds = Number(values.seconds ?? 180);
const mb = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const db = await startEmbeddedDatabase({ dataDir: "memory", maxConnections: 16, handleSignals: false });
// Not spawnSync: the server lives in this process and must answer the migration.
const migrated = await new Promise<number | null>((resolve) =>
  spawn("npx", ["prisma", "migrate", "deploy"], { env: { ...process.env, DATABASE_URL: db.url }, stdio: "ignore" }).on(
    "close",
    resolve,
  ),
);
if (migrated !== 0) throw new Error("prisma migrate deploy failed");

if (values.unread) {
  const rows = Number(values.unread);
  const before = mb();
  const { hostname, port } = new URL(db.url);
  const sockets = [0, 1].map(() => {
    const socket = connect(Number(port), hostname);
    socket.pause();
    const params = Buffer.from("user\0postgres\0database\0postgres\0\0");
    const head = Buffer.alloc(8);
    head.writeInt32BE(8 + params.length, 0);
    head.writeInt32BE(196608, 4);
    const sql = Buffer.from(`SELECT repeat('z', 1000000) FROM generate_series(1, ${rows})\0`);
    const q = Buffer.alloc(5);
    q.write("Q");
    q.writeInt32BE(4 + sql.length, 1);
    socket.write(Buffer.concat([head, params, q, sql]));
    return socket;
  });
  let peak = before;
  const other = new pg.Client(db.url);
  await other.connect();
  const served = await other.query("SELECT 'served' AS v");
  for (let i = 0; i < 20; i++) {
    peak = Math.max(peak, mb());
    await sleep(250);
  }
  for (const s of sockets) s.destroy();
  await sleep(2000);
  const after = mb();
  await other.query("SELECT 1");
  await other.end();
  console.log(
    `unread: 2 clients x ${rows} MB unread; RSS before ${before} MB, peak ${peak} MB, after disconnect ${after} MB; ` +
      `other client served: ${served.rows[0]?.v === "served"}`,
  );
}

let ops = 0;
let wrong = 0;
let longestWaitMs = 0;
let peakRss = mb();
const startRss = peakRss;
const deadline = Date.now() + seconds * 1000;
const timed = async <T>(fn: () => Promise<T>): Promise<T> => {
  const t = performance.now();
  const r = await fn();
  longestWaitMs = Math.max(longestWaitMs, performance.now() - t);
  ops++;
  return r;
};
const check = (ok: boolean, what: string) => {
  if (!ok) {
    wrong++;
    console.error(`wrong: ${what}`);
  }
};

const setup = new pg.Client(db.url);
await setup.connect();
await setup.query("CREATE TABLE soak (client int, n int)");
await setup.end();

async function pgWorker(k: number): Promise<void> {
  const client = new pg.Client({ connectionString: db.url, application_name: `soak-${k}` });
  await client.connect();
  await client.query(`SET work_mem = '${k + 1}MB'`);
  let committed = 0;
  for (let i = 0; Date.now() < deadline; i++) {
    const who = await timed(() =>
      client.query({
        name: "who",
        text: "SELECT current_setting('application_name') AS app, current_setting('work_mem') AS mem, $1::int AS i",
        values: [i],
      }),
    );
    check(
      who.rows[0]?.app === `soak-${k}` && who.rows[0]?.mem === `${k + 1}MB` && who.rows[0]?.i === i,
      `settings of ${k}`,
    );
    await timed(() => client.query("BEGIN"));
    await timed(() => client.query({ name: "ins", text: "INSERT INTO soak VALUES ($1, $2)", values: [k, i] }));
    const rollback = i % 5 === 4;
    await timed(() => client.query(rollback ? "ROLLBACK" : "COMMIT"));
    if (!rollback) committed++;
    const count = await timed(() =>
      client.query({ name: "count", text: "SELECT count(*)::int AS n FROM soak WHERE client = $1", values: [k] }),
    );
    check(count.rows[0]?.n === committed, `count of ${k}: ${count.rows[0]?.n} != ${committed}`);
  }
  await client.end();
}

async function prismaWorker(k: number): Promise<void> {
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 2 }) });
  for (let i = 0; Date.now() < deadline; i++) {
    const content = `prisma ${k} ${i}`;
    const created = await timed(() => prisma.document.create({ data: { content } }));
    const read = await timed(() => prisma.document.findUnique({ where: { id: created.id } }));
    check(read?.content === content, `prisma read-back ${k}`);
    const [n] = await timed(() =>
      prisma.$transaction([prisma.document.count({ where: { content: { startsWith: `prisma ${k} ` } } })]),
    );
    check(n === i + 1, `prisma count ${k}: ${n} != ${i + 1}`);
  }
  await prisma.$disconnect();
}

const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, mb());
}, 1000);
const started = performance.now();
await Promise.all([...Array.from({ length: 8 }, (_, k) => pgWorker(k)), prismaWorker(0), prismaWorker(1)]);
clearInterval(sampler);
console.log(
  `soak: ${Math.round((performance.now() - started) / 1000)} s, ${ops} operations, ${wrong} wrong, ` +
    `longest single operation ${Math.round(longestWaitMs)} ms, RSS start ${startRss} MB, peak ${peakRss} MB, end ${mb()} MB`,
);
await db.stop();
process.exit(wrong === 0 ? 0 : 1);
