import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { errorLines, repoRoot, runCli } from "../helpers/cli.ts";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const USER_SCHEMA = `generator client {
  provider   = "prisma-client"
  output     = "../generated"
  engineType = "client"
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id    Int    @id @default(autoincrement())
  email String @unique
  prefs Json   @default("{}") // a brace in a string and a comment
}
`;

function project(schema = USER_SCHEMA): string {
  const dir = mkdtempSync(join(tmpdir(), "phs-cli-init-"));
  dirs.push(dir);
  mkdirSync(join(dir, "prisma/migrations/20250101000000_users"), { recursive: true });
  writeFileSync(join(dir, "prisma/schema.prisma"), schema);
  writeFileSync(join(dir, "prisma/migrations/20250101000000_users/migration.sql"), 'CREATE TABLE "User" ();\n');
  writeFileSync(join(dir, "prisma/migrations/migration_lock.toml"), 'provider = "postgresql"\n');
  return dir;
}

const bundled = readdirSync(join(repoRoot, "prisma/migrations"), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

/** `prisma validate` on the merged schema (the schema-engine binary is not needed for it). */
function prismaValidate(schema: string): Promise<{ code: number | null; output: string }> {
  const cli = createRequire(import.meta.url).resolve("prisma/build/index.js");
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, "validate", "--schema", schema], {
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false", CHECKPOINT_DISABLE: "1" },
      cwd: join(schema, "../.."),
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("prisma-hybrid-store init", () => {
  test("adds the models and copies the migrations; the schema stays valid; a second run changes nothing", async () => {
    const dir = project();
    const run = await runCli(["init"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Schema prisma\/schema\.prisma: added models Document, Annotation\.$/m);
    assert.match(run.stdout, new RegExp(`^Migrations prisma/migrations: copied ${bundled.length} \\(`, "m"));

    const schema = readFileSync(join(dir, "prisma/schema.prisma"), "utf8");
    assert.ok(schema.startsWith(USER_SCHEMA), "the user's schema is kept as it was");
    assert.match(schema, /model Document \{[\s\S]*embeddingPayload String\?/);
    assert.match(schema, /model Annotation \{[\s\S]*@relation\(fields: \[documentId\]/);
    for (const name of bundled) {
      assert.equal(
        readFileSync(join(dir, "prisma/migrations", name, "migration.sql"), "utf8"),
        readFileSync(join(repoRoot, "prisma/migrations", name, "migration.sql"), "utf8"),
      );
    }
    const valid = await prismaValidate(join(dir, "prisma/schema.prisma"));
    assert.equal(valid.code, 0, valid.output);

    const again = await runCli(["init"], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /models Document and Annotation already there/);
    assert.match(again.stdout, new RegExp(`nothing to copy, ${bundled.length} already there`));
    assert.equal(readFileSync(join(dir, "prisma/schema.prisma"), "utf8"), schema);
  });

  test("never overwrites a migration file it did not write", async () => {
    const dir = project();
    const mine = join(dir, "prisma/migrations", bundled[0]!, "migration.sql");
    mkdirSync(join(mine, ".."), { recursive: true });
    writeFileSync(mine, "-- my own edit\n");
    const run = await runCli(["init"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`left as is: ${bundled[0]}/migration.sql exists with other content`));
    assert.equal(readFileSync(mine, "utf8"), "-- my own edit\n");
  });

  test("a Document model of the user's own that differs: refuses, one line, nothing changed", async () => {
    const schema = `${USER_SCHEMA}\nmodel Document {\n  id    Int    @id\n  title String\n}\n`;
    const dir = project(schema);
    const run = await runCli(["init", "--schema", "prisma/schema.prisma", "--migrations", "prisma/migrations"], {
      cwd: dir,
    });
    assert.equal(run.code, 1);
    assert.equal(errorLines(run).length, 1);
    assert.match(
      errorLines(run)[0]!,
      /^prisma-hybrid-store init: Your schema already has model Document \(missing .*\), which differs from prisma-hybrid-store's\. Rename your model, or make it match \(see docs\/existing-schema\.md\)\. Nothing was changed\.$/,
    );
    assert.equal(readFileSync(join(dir, "prisma/schema.prisma"), "utf8"), schema);
    assert.deepEqual(readdirSync(join(dir, "prisma/migrations")).sort(), [
      "20250101000000_users",
      "migration_lock.toml",
    ]);
  });

  test("a bundled Document with fields of the user's own: kept and named; a required one without default refused", async () => {
    const ours = readFileSync(join(repoRoot, "prisma/schema.prisma"), "utf8");
    const document = /\/\/\/ A source text[\s\S]*?\n\}\n/.exec(ours)![0];
    const own = document.replace(
      "  annotations      Annotation[]\n",
      "  annotations      Annotation[]\n  pinned Boolean @default(false)\n  ownerId Int?\n  owner User? @relation(fields: [ownerId], references: [id])\n\n  @@index([ownerId])\n",
    );
    const schema = `${USER_SCHEMA.replace("prefs Json", "documents Document[]\n  prefs Json")}\n${own}`;
    const dir = project(schema);
    const run = await runCli(["init"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Fields of your own kept: Document\.ownerId, Document\.pinned\./);
    const merged = readFileSync(join(dir, "prisma/schema.prisma"), "utf8");
    assert.ok(merged.startsWith(schema), "the user's Document is left as it is");
    assert.equal(merged.match(/^model Document \{/gm)?.length, 1);
    assert.match(merged, /^model Annotation \{/m);
    assert.equal((await prismaValidate(join(dir, "prisma/schema.prisma"))).code, 0);

    const required = project(`${USER_SCHEMA}\n${document.replace("  title ", "  tenant String\n  title ")}`);
    const refused = await runCli(["init"], { cwd: required });
    assert.equal(refused.code, 1);
    assert.match(errorLines(refused)[0]!, /extra required "tenant String" without a database default/);
    const prismaSide = project(
      `${USER_SCHEMA}\n${document.replace("  title ", "  ref String @default(cuid())\n  title ")}`,
    );
    assert.match(
      errorLines(await runCli(["init"], { cwd: prismaSide }))[0]!,
      /extra required "ref String @default\(cuid\(\)\)"/,
    );
  });

  test("a folder of .prisma files gets a file of its own; a non-PostgreSQL project is refused", async () => {
    const dir = project();
    mkdirSync(join(dir, "prisma/schema"));
    writeFileSync(join(dir, "prisma/schema/main.prisma"), USER_SCHEMA);
    const run = await runCli(["init", "--schema", "prisma/schema"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(join(dir, "prisma/schema/prisma-hybrid-store.prisma"), "utf8"), /model Annotation \{/);
    assert.match(run.stdout, /Migrations prisma\/schema\/migrations: copied/);

    const sqlite = project(USER_SCHEMA.replace('provider = "postgresql"', 'provider = "sqlite"'));
    const refused = await runCli(["init"], { cwd: sqlite });
    assert.equal(refused.code, 1);
    assert.match(errorLines(refused)[0]!, /uses "sqlite"; prisma-hybrid-store needs PostgreSQL/);
  });

  test("an empty Prisma 6 project: a schema and config for Prisma 6 that validate, and the next command", async () => {
    const dir = mkdtempSync(join(tmpdir(), "phs-cli-init-empty-"));
    dirs.push(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", type: "module" }));
    // The repository's own prisma 6.19, installed in the project as `npm install -D prisma` would.
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(join(repoRoot, "node_modules/prisma"), join(dir, "node_modules/prisma"), "junction");
    const run = await runCli(["init"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Created prisma\/schema\.prisma\.\nCreated prisma\.config\.ts\.\n/);
    assert.match(run.stdout, /^Next: npx prisma generate && npx prisma-hybrid-store migrate$/m);
    const schema = readFileSync(join(dir, "prisma/schema.prisma"), "utf8");
    assert.match(schema, /generator client \{[^}]*provider = "prisma-client"[^}]*engineType = "client"/);
    assert.match(schema, /datasource db \{[^}]*url\s+= env\("DATABASE_URL"\)/);
    assert.doesNotMatch(schema, /moduleFormat/, "an ESM project gets the default (ESM) client");
    assert.match(schema, /model Annotation \{/);
    const valid = await prismaValidate(join(dir, "prisma/schema.prisma"));
    assert.equal(valid.code, 0, valid.output);

    const again = await runCli(["init"], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /Created/);
    assert.equal(readFileSync(join(dir, "prisma/schema.prisma"), "utf8"), schema);
  });

  test("an empty CommonJS project on Prisma 7: no url in the schema, the URL in prisma.config.ts, CommonJS output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "phs-cli-init-empty-"));
    dirs.push(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app" }));
    // What init reads of an installed Prisma 7 (test/compat and scripts/fresh-project.ts run the real one).
    mkdirSync(join(dir, "node_modules/prisma"), { recursive: true });
    writeFileSync(join(dir, "node_modules/prisma/package.json"), JSON.stringify({ name: "prisma", version: "7.10.1" }));
    const run = await runCli(["init"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const schema = readFileSync(join(dir, "prisma/schema.prisma"), "utf8");
    assert.match(schema, /generator client \{[^}]*moduleFormat = "cjs"/);
    assert.doesNotMatch(schema, /engineType|url\s*=/);
    assert.match(readFileSync(join(dir, "prisma.config.ts"), "utf8"), /datasource: \{ url \}/);
  });

  test('an existing schema on Prisma 6 without engineType = "client": a warning that says what to add', async () => {
    const dir = project(USER_SCHEMA.replace('  engineType = "client"\n', ""));
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "junction");
    const run = await runCli(["init"], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^Warning: generator client has no engineType = "client": on Prisma 6\.19\.\d+ .* Add engineType = "client"/m,
    );
    const fine = project();
    symlinkSync(join(repoRoot, "node_modules"), join(fine, "node_modules"), "junction");
    assert.doesNotMatch((await runCli(["init"], { cwd: fine })).stdout, /Warning/);
  });

  test("no schema and no Prisma installed: one line saying what to install, nothing written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "phs-cli-init-empty-"));
    dirs.push(dir);
    const run = await runCli(["init"], { cwd: dir });
    assert.equal(run.code, 1);
    assert.equal(errorLines(run).length, 1);
    assert.match(errorLines(run)[0]!, /no Prisma installed in this project\. Install it first \(npm install -D prisma/);
    assert.deepEqual(readdirSync(dir), []);
  });
});
