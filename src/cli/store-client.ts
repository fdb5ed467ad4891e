import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { hybridStore, MiniLmEmbedder } from "../index.ts";

/**
 * The package's own generated Prisma client, extended with `hybridStore()`, on `url`. One
 * connection is plenty for a CLI that does one thing at a time, and stays within the embedded
 * server's limit; the connect timeout turns an unreachable host into an error, not a hang.
 */
export function createStoreClient(url: string, embedder: MiniLmEmbedder) {
  const adapter = new PrismaPg({
    connectionString: url,
    max: 1,
    idleTimeoutMillis: 200,
    connectionTimeoutMillis: 10_000,
  });
  return new PrismaClient({ adapter }).$extends(hybridStore({ embedder }));
}

export type StoreClient = ReturnType<typeof createStoreClient>;

/** The model of `--model-dir`, else the environment's (PHS_MODEL_DIR, PHS_MODEL, ...). */
export function cliEmbedder(modelDir: string | undefined): MiniLmEmbedder {
  return modelDir === undefined ? new MiniLmEmbedder() : new MiniLmEmbedder({ modelDir });
}
