/**
 * The where fuzzer over the your-models fixture (test/fixtures/your-models): Product (an Int id,
 * `@map`ped columns, a Decimal), Review (a String id, related to Product, a 768-d vector) and the
 * user's own Document. Rows are written through the extension, so each one has its vector.
 */
import { randomUUID } from "node:crypto";
import { gaussian, normalize, randomUnit, rng } from "../helpers/vectors.ts";
import type { FuzzModels } from "./campaign.ts";
import { INTS, STRINGS } from "./data.ts";
import type { ErrorClasses } from "./differential.ts";
import type { FuzzSchema } from "./generate.ts";

export const YOUR_MODELS_SCHEMA: FuzzSchema = {
  Product: {
    fields: {
      id: "Int",
      sku: "String",
      name: "String",
      description: "String",
      price: "Decimal",
      stock: "Int",
      embeddingModel: "NullableString",
      embeddingPayload: "NullableString",
    },
    relations: [{ field: "reviews", model: "Review", list: true }],
  },
  Review: {
    fields: {
      id: "String",
      productId: "Int",
      title: "NullableString",
      body: "String",
      stars: "Int",
      bodyVectorModel: "NullableString",
      bodyVectorPayload: "NullableString",
      bodyHash: "NullableString",
    },
    relations: [{ field: "product", model: "Product", list: false }],
  },
  Document: {
    fields: {
      id: "Int",
      path: "String",
      ownerId: "String",
      body: "String",
      pages: "Int",
      embeddingModel: "NullableString",
    },
    relations: [],
  },
};

/** Prices as Decimal(10, 2) stores them, around the operands the generator draws. */
const PRICES = ["0.00", "1.00", "1.50", "2.25", "2.50", "10.00", "12.35", "-1.00", "99999999.99"] as const;

type Random = () => number;
const pick = <T>(r: Random, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/**
 * Inserts 12 products (the last without reviews), 48 reviews and 12 documents, deterministic
 * for a seed, and returns what the differential needs to reach them; `remove` deletes them.
 */
export async function insertYourModels(
  // biome-ignore lint/suspicious/noExplicitAny: the fixture's generated client is imported at run time
  base: any,
  // biome-ignore lint/suspicious/noExplicitAny: as above
  store: any,
  seed: number,
  extra: { readonly nulls: readonly unknown[]; readonly errors: ErrorClasses },
): Promise<{ models: FuzzModels; remove: () => Promise<void> }> {
  const r = rng(seed);
  const run = randomUUID().slice(0, 8);
  const products = Array.from({ length: 12 }, (_, i) => ({
    sku: i % 4 === 0 ? pick(r, STRINGS) + run + i : `fuzz-${run}-${i}`,
    name: pick(r, STRINGS),
    description: `${pick(r, STRINGS)} product ${i}`,
    price: pick(r, PRICES),
    stock: pick(r, INTS),
  }));
  await store.product.createMany({ data: products });
  const productIds: number[] = (
    await base.product.findMany({ where: { sku: { in: products.map((p) => p.sku) } }, select: { id: true } })
  ).map((p: { id: number }) => p.id);
  await store.review.createMany({
    data: Array.from({ length: 48 }, (_, i) => ({
      productId: productIds[i % 11]!,
      title: r() < 0.3 ? null : pick(r, STRINGS),
      body: `${pick(r, STRINGS)} ${pick(r, STRINGS)} review`,
      stars: pick(r, INTS),
    })),
  });
  const docs = Array.from({ length: 12 }, (_, i) => ({
    path: `/fuzz/${run}/${pick(r, STRINGS)}/${i}`,
    ownerId: pick(r, STRINGS),
    body: `${pick(r, STRINGS)} document ${i}`,
    pages: r() < 0.3 ? null : pick(r, INTS),
  }));
  await store.document.createMany({ data: docs });
  const docIds: number[] = (
    await base.document.findMany({ where: { path: { in: docs.map((d) => d.path) } }, select: { id: true } })
  ).map((d: { id: number }) => d.id);
  const normal = gaussian(rng(seed + 2));
  const v384 = randomUnit(normal);
  const v768 = normalize(randomUnit(normal).concat(randomUnit(normal)));
  return {
    models: {
      base,
      store,
      schema: YOUR_MODELS_SCHEMA,
      tables: {
        Product: { delegate: "product", scope: { id: { in: productIds } }, vector: v384, text: true },
        // Full text defaults to the marking's sources: Review's title and body, Document's body.
        Review: { delegate: "review", scope: { productId: { in: productIds } }, vector: v768, text: true },
        Document: { delegate: "document", scope: { id: { in: docIds } }, vector: v384, text: true },
      },
      ...extra,
    },
    async remove() {
      await base.product.deleteMany({ where: { id: { in: productIds } } });
      await base.document.deleteMany({ where: { id: { in: docIds } } });
    },
  };
}
