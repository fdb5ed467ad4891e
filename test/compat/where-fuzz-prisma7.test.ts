// The where fuzzer (test/fuzz) against Prisma 7's client with the project's built library: the
// library follows the Prisma its user runs, and this is the other version users run today.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatMismatch, runCampaign } from "../fuzz/campaign.ts";
import type { ErrorClasses } from "../fuzz/differential.ts";
import { databaseUrl } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { loadProject } from "./compat-project.ts";

const seed = Number(process.env.PHS_FUZZ_SEED ?? 20261203);
const n = Number(process.env.PHS_FUZZ_N_PRISMA7 ?? 300);

test(`where fuzzer on Prisma 7 (prisma-client generator): ${n} wheres per model (seed ${seed})`, async () => {
  const project = await loadProject("prisma7");
  const generated = (await project.importFromProject("./generated/prisma/client.ts")) as {
    Prisma: { DbNull: unknown; JsonNull: unknown; AnyNull: unknown; prismaVersion: { client: string } };
  };
  assert.match(generated.Prisma.prismaVersion.client, /^7\./);
  const base = project.createBase(databaseUrl());
  const { DbNull, JsonNull, AnyNull } = generated.Prisma;
  const result = await runCampaign({
    seed,
    n,
    maxMismatches: 20,
    log: (line) => console.log(line),
    target: {
      base,
      store: project.withStore(base, tinyEmbedder()),
      nulls: { DbNull, JsonNull, AnyNull },
      withEmbedding: project.library.withEmbedding as (vector: number[]) => object,
      errors: project.library as unknown as ErrorClasses,
    },
  });
  assert.equal(result.mismatches.length, 0, result.mismatches.map(formatMismatch).join("\n\n"));
});
