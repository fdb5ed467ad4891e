// Runtime entry of this project for test/compat: its clients, built the way its user would.
import { PrismaPg } from "@prisma/adapter-pg";
import { Prisma, PrismaClient } from "@prisma/client";
import * as library from "prisma-hybrid-store";
import { type Embedder, hybridStore } from "prisma-hybrid-store";

export const kind = "prisma-client-js (Prisma 7)";
export const prismaVersion: string = Prisma.prismaVersion.client;
export { library };

// max 2: the test database (embedded PGlite) takes 8 sockets in all.
const adapter = (url: string) => new PrismaPg({ connectionString: url, max: 2, idleTimeoutMillis: 1000 });

export const createBase = (url: string) => new PrismaClient({ adapter: adapter(url) });
/** With `dmmf: Prisma.dmmf` unless `useDmmf: false` (then the client's runtime data model is read). */
export const withStore = (base: PrismaClient, embedder: Embedder, { useDmmf = true } = {}) =>
  base.$extends(hybridStore({ embedder, ...(useDmmf ? { dmmf: Prisma.dmmf } : {}) }));

export const dmmf: unknown = Prisma.dmmf;

/** Imports a module as this project resolves it (e.g. "prisma-hybrid-store/llamaindex"). */
export const importFromProject = (specifier: string): Promise<unknown> => import(specifier);
