/** Prisma clients as a user creates them: the project's generated client on @prisma/adapter-pg. */
import { PrismaPg } from "@prisma/adapter-pg";
import type { Embedder } from "../src/embed/embedder.ts";
import { hybridStore } from "../src/extension.ts";
import { PrismaClient } from "../src/generated/prisma/client.ts";

/**
 * Searches that need pgvector settings run them in a batch transaction, which Prisma bounds by
 * `transactionOptions.timeout` (5 s by default). The slowest hand-written plans (an iterative
 * scan under a 0.1% filter on PGlite) take longer than that on a loaded machine, so the search
 * suites raise it, as a user with such queries would.
 */
export const SEARCH_TRANSACTION_TIMEOUT_MS = 120_000;

export function basePrisma(url: string, max = 2, transactionTimeoutMs?: number): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max, idleTimeoutMillis: 1000 }),
    ...(transactionTimeoutMs
      ? { transactionOptions: { timeout: transactionTimeoutMs, maxWait: transactionTimeoutMs } }
      : {}),
  });
}

export function storePrisma(base: PrismaClient, embedder: Embedder) {
  return base.$extends(hybridStore({ embedder }));
}
export type StorePrisma = ReturnType<typeof storePrisma>;

/**
 * An embedder that returns precomputed vectors for known texts: the same vectors reach every
 * store, and no model time is measured where the database is what is compared.
 */
export function precomputedEmbedder(
  lookup: (text: string) => ArrayLike<number>,
  modelId = "bench/precomputed",
): Embedder {
  return {
    modelId,
    dimensions: 384,
    embed: async (texts) => texts.map((t) => Array.from(lookup(t))),
  };
}
