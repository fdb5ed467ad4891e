import { randomUUID } from "node:crypto";
import { gaussian, randomUnit, rng } from "../helpers/vectors.ts";

/**
 * Adversarial rows for the where fuzzer: NULL vs missing JSON keys, case and accents, LIKE
 * wildcards and quotes, emoji, JSON values of mixed types, integer-like keys, dates around DST.
 * The same pools feed the generator, so filters hit these values often.
 */
export const STRINGS = [
  "a",
  "A",
  "ab",
  "Ab",
  "é",
  "É",
  "e",
  "%",
  "_",
  "\\",
  "'",
  '"',
  "😀",
  "a%b",
  "a_b",
  "a\\b",
  "Straße",
  "x y",
  "",
  "cat",
  "Cat dog",
] as const;

export const INTS = [-1, 0, 1, 2, 3, 5, 2147483647] as const;

/** Decimal(10, 2) operands: numbers, decimal strings, values past the column's scale. */
export const DECIMALS = [0, 1, 1.5, 2.25, -1, 10, "10.00", "2.5", "0.001", "99999999.99", 12.345] as const;

/** Instants around the 2026 DST changes (US 8 March, EU 29 March, EU 25 October). */
export const DATES = [
  "2026-03-08T06:59:59.999Z",
  "2026-03-08T07:00:00.000Z",
  "2026-03-29T00:59:59.000Z",
  "2026-03-29T01:00:00.000Z",
  "2026-03-29T01:00:00.001Z",
  "2026-10-25T00:30:00.000Z",
  "2026-10-25T01:30:00.000Z",
  "2000-01-01T00:00:00.000Z",
].map((s) => new Date(s));

export const JSON_VALUES: readonly unknown[] = [
  "en",
  "EN",
  "e",
  "",
  "a%b",
  "É",
  0,
  1,
  1.5,
  -1,
  "1",
  true,
  false,
  null,
  [],
  ["x"],
  ["x", "y"],
  [1, 2],
  [["x"]],
  {},
  { a: 1 },
  { b: "x" },
];

export const JSON_KEYS = ["lang", "n", "tags", "nested", "0", "-1", "01", "a b", "%"] as const;

/** The rows one fuzz run inserts; every filter is scoped to these documents. */
export interface FuzzData {
  readonly docIds: string[];
  readonly annotationIds: string[];
}

type Random = () => number;
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const maybe = <T>(r: Random, p: number, value: () => T): T | null => (r() < p ? value() : null);

/** What the fuzzer needs of one Prisma version and its copy of the library. */
export interface FuzzTools {
  readonly nulls: { readonly DbNull: unknown; readonly JsonNull: unknown; readonly AnyNull: unknown };
  readonly withEmbedding: (vector: number[]) => object;
}

function metadata(r: Random, tools: FuzzTools): unknown {
  const shape = r();
  if (shape < 0.05) return ["x", 1];
  if (shape < 0.08) return "en";
  if (shape < 0.1) return 1;
  if (shape < 0.13) return tools.nulls.JsonNull;
  const out: Record<string, unknown> = {};
  for (const key of JSON_KEYS) {
    if (r() < 0.45) continue;
    out[key] = key === "nested" ? { a: { b: pick(r, JSON_VALUES) } } : pick(r, JSON_VALUES);
  }
  return out;
}

/** Inserts 10 documents and 60 annotations (all with a vector), deterministic for a seed. */
export async function insertFuzzData(
  // biome-ignore lint/suspicious/noExplicitAny: the extended client's create types are not needed here
  prisma: any,
  seed: number,
  tools: FuzzTools,
): Promise<FuzzData> {
  const r = rng(seed);
  const normal = gaussian(rng(seed + 1));
  const run = randomUUID().slice(0, 8);
  const docIds: string[] = [];
  for (let i = 0; i < 10; i++) {
    const doc = await prisma.document.create({
      data: {
        source: i % 3 === 0 ? null : `fuzz-${run}-${i}`,
        title: i === 0 ? null : maybe(r, 0.85, () => pick(r, STRINGS)),
        content: `${pick(r, STRINGS)} document ${i}`,
        label: maybe(r, 0.8, () => pick(r, STRINGS)),
        metadata: metadata(r, tools),
        createdAt: pick(r, DATES),
        ...tools.withEmbedding(randomUnit(normal)),
      },
    });
    docIds.push(doc.id);
  }
  const data = Array.from({ length: 60 }, (_, i) => ({
    documentId: docIds[i % 9]!, // the last document has no annotations
    rawText: `${pick(r, STRINGS)} ${pick(r, STRINGS)}`,
    label: maybe(r, 0.8, () => pick(r, STRINGS)),
    page: maybe(r, 0.8, () => pick(r, INTS)),
    position: maybe(r, 0.7, () => pick(r, INTS)),
    embeddingModel: maybe(r, 0.3, () => pick(r, STRINGS)),
    metadata: metadata(r, tools),
    createdAt: pick(r, DATES),
    ...tools.withEmbedding(randomUnit(normal)),
  }));
  await prisma.annotation.createMany({ data });
  const rows = await prisma.annotation.findMany({ where: { documentId: { in: docIds } }, select: { id: true } });
  return { docIds, annotationIds: rows.map((a: { id: string }) => a.id) };
}
