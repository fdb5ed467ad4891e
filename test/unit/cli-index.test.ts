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
    assert.equal(readdirSync(dir).length, before);
  });
});
