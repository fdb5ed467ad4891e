/**
 * `npm test`: runs the suite against fresh, migrated databases and cleans up after.
 *
 * - test/unit needs no database: its files run concurrently in one `node --test`, with no
 *   DATABASE_URL (`npm run test:unit` runs only them).
 * - The other files run on PHS_TEST_WORKERS workers (default 3; scripts/test-worker.ts), each
 *   with its own database: an embedded PGlite server per worker by default, or with
 *   TEST_DATABASE_URL a scratch database per worker on that server (any PostgreSQL with
 *   pgvector). Each worker takes the next file when it is done with one, the slowest first.
 * - {@link SERIAL} files run after the others, alone.
 *
 * Migrations are applied with the real `prisma migrate deploy`. Extra arguments select test
 * files by substring: `npm test -- query`; a filter that selects no file fails the run.
 */
import { fork } from "node:child_process";
import { join } from "node:path";
import { capture, listTests, run } from "./test-process.ts";
import type { FileResult, RunnerMessage, WorkerMessage } from "./test-worker.ts";

/**
 * Files that may not run beside others, and why. They run last, one at a time, once every other
 * worker has stopped (so they have the server to themselves).
 */
export const SERIAL: Readonly<Record<string, string>> = {
  "server-crash.test.ts": "crashes and restarts the server: every other worker's connections would break",
  "faults.test.ts": "its server variant crashes and restarts the server, as server-crash does",
};

/**
 * The slowest files (measured 2026-12-02, both targets, 3 workers each, load average ~30: 2-16
 * minutes each), started first so that no worker is left with a long file at the end. Files not
 * listed follow in directory and name order.
 */
const SLOWEST_FIRST = [
  "test/integration/cli-ingest.test.ts",
  "test/reliability/bad-inputs-cli.test.ts",
  "test/integration/where-fuzz.test.ts",
  "test/integration/query-recall-calibration.test.ts",
  "test/compat/types.test.ts",
  "test/integration/cli-search.test.ts",
  "test/integration/cli-init.test.ts",
  "test/integration/cli-errors.test.ts",
  "test/integration/cli-docs-samples.test.ts",
  "test/integration/cli-db.test.ts",
  "test/integration/embedded-db.test.ts",
  "test/integration/db-errors.test.ts",
  "test/integration/cli-db-signals.test.ts",
  "test/compat/prisma7.test.ts",
  "test/integration/cli-demo.test.ts",
  "test/integration/llamaindex-churn.test.ts",
];

const started = performance.now();
const filters = process.argv.slice(2);
let files = ["test/unit", "test/integration", "test/compat", "test/reliability"]
  .flatMap((dir) => listTests(dir))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`No test file matches ${filters.map((f) => JSON.stringify(f)).join(" or ")}.`);
  process.exit(1);
}
const unitDir = join("test", "unit");
const unitFiles = files.filter((f) => f.startsWith(unitDir));
files = files.filter((f) => !f.startsWith(unitDir));

let failed = false;
const timings: { file: string; ms: number }[] = [];

async function runUnit(): Promise<void> {
  if (unitFiles.length === 0) return;
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const t = performance.now();
  // Kept and printed at the end, so that it does not interleave with the integration files'.
  const r = await capture(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...unitFiles], env);
  report(
    {
      file: `test/unit (${unitFiles.length} files, concurrently)`,
      code: r.code,
      ms: performance.now() - t,
      output: r.output,
    },
    0,
  );
}

// test/compat needs its Prisma 6/7 user projects installed (cached; see scripts/compat-setup.ts).
// If that fails, the other tests still run and the run fails.
async function compatSetup(): Promise<void> {
  if (!files.some((f) => f.startsWith(join("test", "compat")))) return;
  if ((await run(process.execPath, ["--import", "tsx", "scripts/compat-setup.ts"], process.env)) === 0) return;
  failed = true;
  files = files.filter((f) => !f.startsWith(join("test", "compat")));
}

const isSerial = (f: string) => Object.hasOwn(SERIAL, f.split("/").at(-1) ?? "");
const rank = (f: string) => {
  const i = SLOWEST_FIRST.indexOf(f);
  return i < 0 ? SLOWEST_FIRST.length : i;
};

interface Worker {
  readonly id: number;
  readonly ready: Promise<boolean>;
  run(file: string): Promise<FileResult>;
  stop(): Promise<void>;
}

function startWorker(id: number): Worker {
  const child = fork(join(import.meta.dirname, "test-worker.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let current: { file: string; done: (r: FileResult) => void } | undefined;
  let markReady: (ok: boolean) => void = () => {};
  const ready = new Promise<boolean>((resolve) => {
    markReady = resolve;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.on("message", (m: WorkerMessage) => {
    if ("ready" in m) markReady(true);
    else if ("failed" in m) {
      console.error(`worker ${id}: ${m.failed}`);
      markReady(false);
    } else current?.done(m);
  });
  child.once("exit", (code) => {
    markReady(false);
    current?.done({ file: current.file, code: 1, ms: 0, output: `worker ${id} exited (${code}) during this file\n` });
  });
  return {
    id,
    ready,
    run: (file) =>
      new Promise((resolve) => {
        current = {
          file,
          done: (r) => {
            current = undefined;
            resolve(r);
          },
        };
        child.send({ file } satisfies RunnerMessage);
      }),
    stop: async () => {
      if (child.connected) child.send({ stop: true } satisfies RunnerMessage);
      await exited;
    },
  };
}

function report(r: FileResult, worker: number): void {
  timings.push({ file: r.file, ms: r.ms });
  const head = `── ${r.file} (${(r.ms / 1000).toFixed(1)} s, worker ${worker}${r.code === 0 ? "" : ", FAILED"})`;
  process.stdout.write(`\n${head}\n${r.output}`);
  if (r.code !== 0) failed = true;
}

async function runIntegration(): Promise<void> {
  if (files.length === 0) return;
  const queue = files.filter((f) => !isSerial(f)).sort((a, b) => rank(a) - rank(b));
  const serial = files.filter(isSerial);
  const count = Math.max(1, Math.min(Number(process.env.PHS_TEST_WORKERS ?? 3), queue.length));
  const target = process.env.TEST_DATABASE_URL
    ? `a scratch database on ${new URL(process.env.TEST_DATABASE_URL).host}`
    : "an embedded PGlite";
  console.log(
    `${files.length} file(s) on ${count} worker(s), each with ${target}; serially after: ${serial.join(", ") || "none"}`,
  );
  const workers = Array.from({ length: count }, (_, i) => startWorker(i + 1));
  try {
    const drain = async (w: Worker) => {
      if (!(await w.ready)) {
        failed = true;
        return;
      }
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) report(await w.run(f), w.id);
    };
    await Promise.all(workers.map(drain));
    const [first, ...others] = workers;
    await Promise.all(others.map((w) => w.stop()));
    if (first && (await first.ready)) for (const f of serial) report(await first.run(f), first.id);
    else if (serial.length > 0) failed = true;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

await compatSetup();
await Promise.all([runUnit(), runIntegration()]);
const slowest = timings.sort((a, b) => b.ms - a.ms).slice(0, 12);
console.log(
  `\n=== slowest files\n${slowest.map((t) => `${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.file}`).join("\n")}`,
);
console.log(`=== tests ${failed ? "FAILED" : "passed"} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
