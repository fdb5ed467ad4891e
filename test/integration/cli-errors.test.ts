import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { errorLines, runCli } from "../helpers/cli.ts";

describe("prisma-hybrid-store: help, usage errors and exit codes", () => {
  test("--help prints usage and exits 0, for the CLI and every command", async () => {
    const general = await runCli(["--help"]);
    assert.equal(general.code, 0);
    for (const name of ["demo", "db", "migrate", "ingest", "search", "init"])
      assert.match(general.stdout, new RegExp(`\\n  ${name} `));
    for (const name of ["db", "ingest", "search"]) {
      const run = await runCli([name, "--help"]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^Usage: prisma-hybrid-store ${name} `));
      assert.equal(run.stderr, "");
    }
  });

  test("no command: usage on stderr, exit 2", async () => {
    const run = await runCli([]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^Usage: prisma-hybrid-store <command>/);
  });

  test("unknown command, unknown option, bad value: one line, exit 2", async () => {
    const cases: [string[], string][] = [
      [
        ["frobnicate"],
        "prisma-hybrid-store: unknown command 'frobnicate'; commands: demo, db, migrate, distribute, index, ingest, search, init, generate (see 'prisma-hybrid-store --help')",
      ],
      [
        ["search", "x", "--fast"],
        "prisma-hybrid-store search: unknown option '--fast' (see 'prisma-hybrid-store search --help')",
      ],
      [
        ["search", "x", "--take", "many"],
        "prisma-hybrid-store search: --take expects a whole number from 1 to 1000, got 'many' (see 'prisma-hybrid-store search --help')",
      ],
      [
        ["search", "x", "--mode", "fuzzy"],
        "prisma-hybrid-store search: --mode must be one of hybrid, vector, text, got 'fuzzy' (see 'prisma-hybrid-store search --help')",
      ],
      [
        ["ingest"],
        "prisma-hybrid-store ingest: missing paths (files or directories to ingest) (see 'prisma-hybrid-store ingest --help')",
      ],
    ];
    for (const [args, line] of cases) {
      const run = await runCli(args);
      assert.equal(run.code, 2, args.join(" "));
      assert.equal(run.stderr, `${line}\n`);
      assert.equal(run.stdout, "");
    }
  });

  test("an unreachable DATABASE_URL: exit 1 and one line saying what to do", async () => {
    const run = await runCli(["search", "anything", "--mode", "text"], {
      env: { DATABASE_URL: "postgresql://postgres:postgres@127.0.0.1:1/postgres?sslmode=disable" },
    });
    assert.equal(run.code, 1);
    assert.deepEqual(errorLines(run), [
      "prisma-hybrid-store search: Cannot reach the database server at 127.0.0.1:1. Start it (for the embedded one: `npx prisma-hybrid-store db`), or fix the host and port in DATABASE_URL.",
    ]);
  });

  test("a DATABASE_URL that is not a PostgreSQL URL: exit 1, nothing attempted", async () => {
    const run = await runCli(["search", "anything"], { env: { DATABASE_URL: "mysql://root@localhost/db" } });
    assert.equal(run.code, 1);
    assert.equal(errorLines(run).length, 1);
    assert.match(
      run.stderr,
      /DATABASE_URL is not a PostgreSQL URL \(expected postgresql:\/\/USER:PASSWORD@HOST:PORT\/DATABASE\)/,
    );
  });

  test("a model directory that does not exist: exit 1 with where it looked", async () => {
    const run = await runCli(["search", "anything", "--model-dir", "/nonexistent/model"]);
    assert.equal(run.code, 1);
    assert.equal(errorLines(run).length, 1);
    assert.match(run.stderr, /Could not load embedding model .* \(looked in: local directory \/nonexistent\/model/);
  });
});
