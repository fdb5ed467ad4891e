import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { indexMigrationSql } from "../../src/cli/index-migration.ts";
import { errorLines, runCli } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "phs-cli-index-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("prisma-hybrid-store index", () => {
  test("--halfvec writes the migration into the folder given and says what to run next", async () => {
    const run = await runCli(["index", "--halfvec", "--migrations", dir]);
    assert.equal(run.code, 0, run.stderr);
    const [folder, ...rest] = readdirSync(dir);
    assert.deepEqual(rest, []);
    assert.match(folder!, /^\d{14}_halfvec_index$/);
    assert.equal(readFileSync(join(dir, folder!, "migration.sql"), "utf8"), indexMigrationSql("halfvec"));
    assert.match(run.stdout, /Created .*_halfvec_index\/migration\.sql\.\nNext: npx prisma migrate deploy/);
    assert.match(indexMigrationSql("halfvec"), /USING hnsw \(\("embedding"::halfvec\(384\)\) halfvec_cosine_ops\)/);
  });

  test("needs exactly one of --halfvec and --vector, and writes nothing otherwise", async () => {
    const before = readdirSync(dir).length;
    for (const args of [["index"], ["index", "--halfvec", "--vector"]]) {
      const run = await runCli([...args, "--migrations", dir]);
      assert.equal(run.code, 2);
      assert.match(errorLines(run).join("\n"), /one of --halfvec or --vector/);
    }
    for (const m of ["1", "101", "16.5", "x"]) {
      const run = await runCli(["index", "--vector", "--m", m, "--migrations", dir]);
      assert.equal(run.code, 2);
      assert.match(errorLines(run).join("\n"), /--m expects a whole number from 2 to 100/);
    }
    assert.equal(readdirSync(dir).length, before);
  });

  test("--m builds a denser graph: every CREATE INDEX gets it, and the migration says so", async () => {
    const other = mkdtempSync(join(tmpdir(), "phs-cli-index-m-"));
    try {
      const run = await runCli(["index", "--vector", "--m", "32", "--migrations", other]);
      assert.equal(run.code, 0, run.stderr);
      const [folder] = readdirSync(other);
      const sql = readFileSync(join(other, folder!, "migration.sql"), "utf8");
      assert.equal(sql, indexMigrationSql("vector", 32));
      const creates = sql.split("\n").filter((l) => l.startsWith("CREATE INDEX"));
      assert.equal(creates.length, 2);
      assert.ok(
        creates.every((l) => l.endsWith("WITH (m = 32, ef_construction = 128);")),
        creates.join("\n"),
      );
      assert.match(sql, /-- A graph of m 32/);
      assert.doesNotMatch(indexMigrationSql("vector"), /A graph of m/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
