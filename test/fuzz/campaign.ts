import { hybridStore } from "../../src/extension.ts";
import { createPrisma } from "../helpers/db.ts";
import { tinyEmbedder } from "../helpers/store.ts";
import { gaussian, randomUnit, rng } from "../helpers/vectors.ts";
import { insertFuzzData } from "./data.ts";
import type { Mismatch } from "./differential.ts";
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
}

export interface CampaignResult {
  readonly checked: Record<FuzzModel, number>;
  readonly prismaErrors: number;
  readonly mismatches: Mismatch[];
}

/** Inserts the fuzz rows, runs `n` random wheres per model against both sides, removes the rows. */
export async function runCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const base = createPrisma();
  const store = base.$extends(hybridStore({ embedder: tinyEmbedder() }));
  const data = await insertFuzzData(store, options.seed);
  const vector = randomUnit(gaussian(rng(options.seed + 2)));
  const diff = new Differential(base, store, data, vector);
  const fieldRefs = {
    Document: base.document.fields as unknown as Record<string, unknown>,
    Annotation: base.annotation.fields as unknown as Record<string, unknown>,
  };
  const gen = new WhereGenerator(rng(options.seed + 3), { fieldRefs, invalid: true });
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
