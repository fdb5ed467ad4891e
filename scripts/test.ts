/**
 * `npm test`: runs the suite against fresh, migrated databases and cleans up after.
 *
 * - test/unit needs no database: its files run concurrently in one `node --test`, with no
 *   DATABASE_URL (`npm run test:unit` runs only them).
 * - The other files run on PHS_TEST_WORKERS workers (default 3; scripts/test-worker.ts), each
 *   with its own database: an embedded PGlite server per worker by default, or with
 *   TEST_DATABASE_URL a scratch database per worker on that server (any PostgreSQL with
 *   pgvector). Each worker takes the next file when it is done with one, the slowest first.
 *   Each file runs in its own process, bundled (scripts/test-bundle.ts) rather than under tsx.
 * - On a server, {@link SERIAL} files run after the others, alone.
 *
 * Migrations are applied with the real `prisma migrate deploy`, once, to a template database
 * that the workers copy (scripts/pglite-template.ts, scripts/server-template.ts; both kept for
 * later runs). Extra arguments select test files by substring: `npm test -- query`; a filter
 * that selects no file fails the run.
 */
import { fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { pgliteTemplate } from "./pglite-template.ts";
import { serverTemplate } from "./server-template.ts";
import { bundleDir, testBundler } from "./test-bundle.ts";
import { capture, listTests, run } from "./test-process.ts";
import { expectedSeconds, TARGET_FREE } from "./test-targets.ts";
import type { FileResult, RunnerMessage, WorkerMessage } from "./test-worker.ts";

/**
 * Files that may not run beside others on a PostgreSQL server (TEST_DATABASE_URL), and why. They
 * run last, one at a time, once every other worker has stopped (so they have the server to
 * themselves). On PGlite every worker has its own server and these files crash one of their own.
 */
export const SERIAL: Readonly<Record<string, string>> = {
  "server-crash.test.ts": "crashes and restarts the server: every other worker's connections would break",
  "faults.test.ts": "its server variant crashes and restarts the server, as server-crash does",
};

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
const timings: { file: string; ms: number; cpuMs: number | undefined }[] = [];
const seconds1 = (ms: number) => (ms / 1000).toFixed(1);
const cpuNote = (ms: number | undefined) => (ms === undefined ? "" : `, CPU ${seconds1(ms)} s`);

async function runUnit(): Promise<void> {
  if (unitFiles.length === 0) return;
  const env = { ...process.env };
  delete env.DATABASE_URL;
  const t = performance.now();
  const bundler = testBundler(bundleDir("unit"));
  try {
    // Bundled files run in one `node --test`, those that need tsx in another beside it.
    const { groups, notes } = await bundler.groups(unitFiles);
    // node --test runs availableParallelism() - 1 files at once: one on a 2-core machine, where
    // much of a unit file's time is its own process starting.
    const concurrency = `--test-concurrency=${Math.max(2, availableParallelism())}`;
    const runs = await Promise.all(
      groups.map((group) =>
        capture(process.execPath, [...group.args, "--test", concurrency, "--test-reporter=spec", ...group.files], env),
      ),
    );
    // Kept and printed at the end, so that it does not interleave with the integration files'.
    report(
      {
        file: `test/unit (${unitFiles.length} files, concurrently)`,
        code: runs.every((r) => r.code === 0) ? 0 : 1,
        ms: performance.now() - t,
        output: notes + runs.map((r) => r.output).join(""),
      },
      0,
    );
  } finally {
    bundler.dispose();
  }
}

const isCompat = (f: string) => f.startsWith(join("test", "compat"));

/**
 * test/compat needs its Prisma 6/7 user projects installed (cached; see scripts/compat-setup.ts;
 * ~45 s of `npm ci` on a new clone). Workers run other files meanwhile and take a compat file
 * only once this is done; if it fails, each compat file is reported as failed, not run.
 */
function compatSetup(): { ready: Promise<boolean>; settled: () => boolean } {
  let settled = false;
  const ready = files.some(isCompat)
    ? run(process.execPath, ["--import", "tsx", "scripts/compat-setup.ts"], process.env).then((code) => code === 0)
    : Promise.resolve(true);
  void ready.then(() => {
    settled = true;
  });
  return { ready, settled: () => settled };
}

const isTargetFree = (f: string) => Object.hasOwn(TARGET_FREE, f.split("/").at(-1) ?? "");
if (process.env.TEST_DATABASE_URL) {
  const skipped = files.filter(isTargetFree);
  if (skipped.length > 0) console.log(`not on a server (they do the same in the PGlite run): ${skipped.join(", ")}`);
  files = files.filter((f) => !isTargetFree(f));
}

const isSerial = (f: string) => !!process.env.TEST_DATABASE_URL && Object.hasOwn(SERIAL, f.split("/").at(-1) ?? "");

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
        child.send({ file, noDatabase: isTargetFree(file) } satisfies RunnerMessage);
      }),
    stop: async () => {
      if (child.connected) child.send({ stop: true } satisfies RunnerMessage);
      await exited;
    },
  };
}

function report(r: FileResult, worker: number): void {
  timings.push({ file: r.file, ms: r.ms, cpuMs: r.cpuMs });
  const head = `── ${r.file} (${seconds1(r.ms)} s${cpuNote(r.cpuMs)}, worker ${worker}${r.code === 0 ? "" : ", FAILED"})`;
  process.stdout.write(`\n${head}\n${r.output}`);
  if (r.code !== 0) failed = true;
}

async function runIntegration(): Promise<void> {
  if (files.length === 0) return;
  const kind = process.env.TEST_DATABASE_URL ? "server" : "pglite";
  const queue = files.filter((f) => !isSerial(f)).sort((a, b) => expectedSeconds(b, kind) - expectedSeconds(a, kind));
  const serial = files.filter(isSerial);
  const count = Math.max(1, Math.min(Number(process.env.PHS_TEST_WORKERS ?? 3), queue.length));
  const where = process.env.TEST_DATABASE_URL
    ? `a scratch database on ${new URL(process.env.TEST_DATABASE_URL).host}`
    : "an embedded PGlite";
  console.log(
    `${files.length} file(s) on ${count} worker(s), each with ${where}; serially after: ${serial.join(", ") || "none"}`,
  );
  const serverUrl = process.env.TEST_DATABASE_URL;
  try {
    if (serverUrl) process.env.PHS_TEST_SERVER_TEMPLATE = await serverTemplate(serverUrl);
    else process.env.PHS_TEST_PGLITE_TEMPLATE = await pgliteTemplate();
  } catch (error) {
    console.error(`no migrated template database (each worker migrates its own): ${error}`);
  }
  const workers = Array.from({ length: count }, (_, i) => startWorker(i + 1));
  try {
    const drain = async (w: Worker) => {
      if (!(await w.ready)) {
        failed = true;
        return;
      }
      for (let f = await nextFile(); f !== undefined; f = await nextFile()) {
        if (isCompat(f) && !(await compat.ready)) {
          const output = "not run: the compatibility projects could not be set up (compat-setup's output above)\n";
          report({ file: f, code: 1, ms: 0, output }, w.id);
        } else report(await w.run(f), w.id);
      }
    };
    // The longest first, but not a compat file before its projects are ready.
    const nextFile = async (): Promise<string | undefined> => {
      const i = compat.settled() ? 0 : queue.findIndex((f) => !isCompat(f));
      if (i >= 0) return queue.splice(i, 1)[0];
      await compat.ready;
      return queue.shift();
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

const compat = compatSetup();
await Promise.all([runUnit(), runIntegration()]);
const slowest = timings.sort((a, b) => b.ms - a.ms).slice(0, 12);
const cpuColumn = (ms: number | undefined) => (ms === undefined ? "" : `  CPU ${seconds1(ms).padStart(6)} s`);
console.log(
  `\n=== slowest files\n${slowest.map((t) => `${seconds1(t.ms).padStart(7)} s${cpuColumn(t.cpuMs)}  ${t.file}`).join("\n")}`,
);
const measured = timings.filter((t) => t.cpuMs !== undefined);
if (measured.length > 0) {
  const total = measured.reduce((sum, t) => sum + t.cpuMs!, 0);
  console.log(`=== CPU of the ${measured.length} integration file(s): ${(total / 1000).toFixed(0)} s`);
}
console.log(`=== tests ${failed ? "FAILED" : "passed"} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
