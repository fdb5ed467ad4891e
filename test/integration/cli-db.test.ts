import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import pg from "pg";
import { errorLines, runCli, startDbCli } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "phs-cli-db-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("prisma-hybrid-store db", () => {
  test("serves a persistent database with pgvector until Ctrl-C, then stops cleanly", async () => {
    const dataDir = join(dir, "pgdata");
    const { child, url, exited, stderr } = await startDbCli(["--data-dir", dataDir, "--port", "0"]);
    try {
      assert.ok(existsSync(`${dataDir}.server.json`), "the server records itself next to its data");
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const r = await client.query("select name from pg_available_extensions where name = 'vector'");
      await client.end();
      assert.equal(r.rows.length, 1);

      // Another command without DATABASE_URL finds this server instead of opening the files.
      const other = await runCli(["search", "x", "--mode", "text", "--data-dir", dataDir], {
        env: { DATABASE_URL: undefined },
      });
      assert.match(other.stderr, new RegExp(`Using the embedded database in .*pgdata, served by process ${child.pid}`));
      assert.match(
        errorLines(other)[0] ?? "",
        /not migrated for prisma-hybrid-store .* Run `npx prisma-hybrid-store migrate` first/,
      );
      assert.equal(other.code, 1);
    } finally {
      child.kill("SIGINT");
    }
    assert.equal(await exited, 0, stderr());
    assert.match(stderr(), /Stopped; everything is saved\./);
    assert.ok(!existsSync(`${dataDir}.server.json`));
  });

  test("a port in use: exit 1 and a hint", async () => {
    const server = (await import("node:net")).createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const run = await runCli(["db", "--data-dir", join(dir, "busy"), "--port", String(port)]);
      assert.equal(run.code, 1);
      assert.deepEqual(errorLines(run), [
        `prisma-hybrid-store db: Port ${port} is already in use (another database?). Stop that process or pass --port with another port (0 picks a free one).`,
      ]);
      assert.equal(existsSync(join(dir, "busy")), false, "no data directory made (no initdb) for a taken port");
    } finally {
      server.close();
    }
  });
});

describe("prisma-hybrid-store migrate", () => {
  test("on an up-to-date database it applies nothing", async () => {
    const run = await runCli(["migrate"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Already up to date \(checked in [\d.]+s\)\.\n$/);
  });

  test("an unreachable database: exit 1 and one line", async () => {
    const run = await runCli(["migrate"], {
      env: { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/postgres?sslmode=disable" },
    });
    assert.equal(run.code, 1);
    assert.equal(errorLines(run).length, 1);
    assert.match(
      errorLines(run)[0]!,
      /^prisma-hybrid-store migrate: Cannot reach the database server at 127\.0\.0\.1:1/,
    );
  });
});
