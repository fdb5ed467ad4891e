import * as errors from "../../src/errors.ts";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { Prisma } from "../../src/generated/prisma/client.ts";
import { createPrisma } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { gaussian, randomUnit, rng } from "../helpers/vectors.ts";
import type { FuzzTools } from "./data.ts";
import { insertFuzzData } from "./data.ts";
import type { ErrorClasses, FuzzTable, Mismatch } from "./differential.ts";
import { Differential, showWhere } from "./differential.ts";
import type { FuzzModel, FuzzSchema } from "./generate.ts";
import { BUNDLED_SCHEMA, WhereGenerator } from "./generate.ts";

export interface CampaignOptions {
  readonly seed: number;
  /** Wheres per model. */
  readonly n: number;
  /** Stop after this many mismatches. */
  readonly maxMismatches?: number;
  /** textSearch/hybridSearch checks on every k-th where. */
  readonly searchEvery?: number;
  readonly log?: (line: string) => void;
  /** The clients under test; default this repository's Prisma 6.19 client and src. */
  readonly target?: FuzzTarget;
}

/** A Prisma client, the same client with `hybridStore()`, and what the fuzzer needs of both. */
export interface FuzzTarget extends FuzzTools {
  // biome-ignore lint/suspicious/noExplicitAny: one code path for clients of several Prisma versions
  readonly base: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  readonly store: any;
  readonly errors: ErrorClasses;
}

function defaultTarget(): FuzzTarget {
  const base = createPrisma();
  return {
    base,
    store: base.$extends(hybridStore({ embedder: tinyEmbedder() })),
    nulls: { DbNull: Prisma.DbNull, JsonNull: Prisma.JsonNull, AnyNull: Prisma.AnyNull },
    withEmbedding,
    errors,
  };
}

export interface CampaignResult {
  /** Wheres checked, by model. */
  readonly checked: Readonly<Record<FuzzModel, number>>;
  readonly mismatches: Mismatch[];
}

/** The models of one fuzz run, as the generator and the differential see them. */
export interface FuzzModels {
  // biome-ignore lint/suspicious/noExplicitAny: one code path for clients of several Prisma versions and schemas
  readonly base: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  readonly store: any;
  readonly schema: FuzzSchema;
  /** Checked in this order, one where each per round. */
  readonly tables: Readonly<Record<FuzzModel, FuzzTable>>;
  /** Prisma.DbNull, JsonNull, AnyNull of the client under test. */
  readonly nulls: readonly unknown[];
  readonly errors: ErrorClasses;
}

/** Runs `n` random wheres per model against both clients; the rows must already be there. */
export async function checkWheres(
  models: FuzzModels,
  options: Omit<CampaignOptions, "target">,
): Promise<CampaignResult> {
  const diff = new Differential(models.base, models.store, models.tables, models.errors);
  const names = Object.keys(models.tables);
  const fieldRefs = Object.fromEntries(
    names.map((m) => [m, models.base[models.tables[m]!.delegate].fields as Record<string, unknown>]),
  );
  const generate = { fieldRefs, nulls: models.nulls, invalid: true };
  const gen = new WhereGenerator(rng(options.seed + 3), generate, models.schema);
  const mismatches: Mismatch[] = [];
  const checked: Record<FuzzModel, number> = Object.fromEntries(names.map((m) => [m, 0]));
  const max = options.maxMismatches ?? 10;
  for (let i = 0; i < options.n && mismatches.length < max; i++) {
    for (const model of names) {
      const where = gen.where(model);
      const found = await diff.check(model, where, i % (options.searchEvery ?? 10) === 0);
      checked[model] = (checked[model] ?? 0) + 1;
      if (found) {
        mismatches.push(found);
        options.log?.(formatMismatch(found));
      }
    }
    if (options.log && (i + 1) % 1000 === 0) options.log(`${i + 1} wheres per model checked`);
  }
  return { checked, mismatches };
}

/** Inserts the fuzz rows into the bundled models, runs `n` random wheres per model, removes the rows. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const target = options.target ?? defaultTarget();
  const { base, store } = target;
  const data = await insertFuzzData(store, options.seed, target);
  const vector = randomUnit(gaussian(rng(options.seed + 2)));
  const scope = { in: data.docIds };
  try {
    return await checkWheres(
      {
        base,
        store,
        schema: BUNDLED_SCHEMA,
        tables: {
          Annotation: { delegate: "annotation", scope: { documentId: scope }, vector, text: true },
          Document: { delegate: "document", scope: { id: scope }, vector, text: true },
        },
        nulls: [target.nulls.DbNull, target.nulls.JsonNull, target.nulls.AnyNull],
        errors: target.errors,
      },
      options,
    );
  } finally {
    await base.document.deleteMany({ where: { id: scope } });
    await base.$disconnect();
  }
}

/** Wheres checked over all models. */
export const totalChecked = (checked: CampaignResult["checked"]): number =>
  Object.values(checked).reduce((a, b) => a + b, 0);

export function formatMismatch(m: Mismatch): string {
  return `${m.model}: ${m.reason}\n  where:   ${showWhere(m.where)}\n  Prisma:  ${m.prisma}\n  library: ${m.library}`;
}
