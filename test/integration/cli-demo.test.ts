import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCli } from "../helpers/cli.ts";

describe("prisma-hybrid-store demo", () => {
  test("runs end to end on its own database, falling back to the tiny model when MiniLM is unavailable", async () => {
    const run = await runCli(["demo"], {
      env: { DATABASE_URL: undefined, PHS_MODEL_DIR: undefined, PHS_ALLOW_REMOTE_MODELS: "0" },
      timeoutMs: 300_000,
    });
    assert.equal(run.code, 0, run.stderr);
    console.log(`demo: ${(run.ms / 1000).toFixed(1)} s start to end`);
    assert.match(
      run.stdout,
      /NOTE: the embedding model Xenova\/all-MiniLM-L6-v2 could not be loaded: .* downloads are disabled/,
    );
    assert.match(run.stdout, /TINY TEST MODEL/);
    assert.match(run.stdout, /8 file\(s\): 8 new, 0 changed, 0 unchanged\. \d+ chunk\(s\) written/);
    for (const method of ["similaritySearch", "textSearch", "hybridSearch"]) {
      assert.match(run.stdout, new RegExp(`prisma\\.annotation\\.${method}\\(\\{ query: `));
    }
    // The filtered search returns only chunks of its label, and full-text finds the phrase.
    const filtered = run.stdout.split("2. Vector search with a filter")[1]!.split("\n3. ")[0]!;
    const rows = filtered.split("\n").filter((l) => /^\s+\d+\s+-?\d\.\d{3}\s/.test(l));
    assert.equal(rows.length, 3);
    for (const row of rows) assert.match(row, /\sastronomy\s+sample\/astronomy\//);
    assert.match(
      run.stdout.split("3. Full-text search")[1]!,
      /^\s+1\s+\d\.\d{4}\s+contracts\s+sample\/contracts\/apartment-lease\.md/m,
    );
    assert.match(run.stdout, /Demo finished in/);
  });
});
