import * as errors from "../../src/errors.ts";
import { hybridStore, withEmbedding } from "../../src/extension.ts";
import { Prisma } from "../../src/generated/prisma/client.ts";
import { createPrisma } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { gaussian, randomUnit, rng } from "../helpers/vectors.ts";
import type { FuzzTools } from "./data.ts";
import { insertFuzzData } from "./data.ts";
import type { ErrorClasses, Mismatch } from "./differential.ts";
import { Differential, showWhere } from "./differential.ts";
import type { FuzzModel } from "./generate.ts";
import { WhereGenerator } from "./generate.ts";

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
  readonly checked: Record<FuzzModel, number>;
  readonly prismaErrors: number;
  readonly mismatches: Mismatch[];
}

/** Inserts the fuzz rows, runs `n` random wheres per model against both sides, removes the rows. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const target = options.target ?? defaultTarget();
  const { base, store } = target;
  const data = await insertFuzzData(store, options.seed, target);
  const vector = randomUnit(gaussian(rng(options.seed + 2)));
  const diff = new Differential(base, store, data, vector, target.errors);
  const fieldRefs = {
    Document: base.document.fields as unknown as Record<string, unknown>,
    Annotation: base.annotation.fields as unknown as Record<string, unknown>,
  };
  const nulls = [target.nulls.DbNull, target.nulls.JsonNull, target.nulls.AnyNull];
  const gen = new WhereGenerator(rng(options.seed + 3), { fieldRefs, nulls, invalid: true });
  const mismatches: Mismatch[] = [];
  const checked = { Document: 0, Annotation: 0 };
  const max = options.maxMismatches ?? 10;
  try {
    for (let i = 0; i < options.n && mismatches.length < max; i++) {
      for (const model of ["Annotation", "Document"] as const) {
        const where = gen.where(model);
        const found = await diff.check(model, where, i % (options.searchEvery ?? 10) === 0);
        checked[model]++;
        if (found) {
          mismatches.push(found);
          options.log?.(formatMismatch(found));
        }
      }
      if (options.log && (i + 1) % 1000 === 0) options.log(`${i + 1} wheres per model checked`);
    }
  } finally {
    await base.document.deleteMany({ where: { id: { in: data.docIds } } });
    await base.$disconnect();
  }
  return { checked, prismaErrors: 0, mismatches };
}

export function formatMismatch(m: Mismatch): string {
  return `${m.model}: ${m.reason}\n  where:   ${showWhere(m.where)}\n  Prisma:  ${m.prisma}\n  library: ${m.library}`;
}
