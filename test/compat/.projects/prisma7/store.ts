// Runtime entry of this project for test/compat: its clients, built the way its user would.
import { PrismaPg } from "@prisma/adapter-pg";
import * as library from "prisma-hybrid-store";
import { type Embedder, hybridStore } from "prisma-hybrid-store";
import { PrismaClient as MappedClient } from "./generated/mapped/client.ts";
import { Prisma, PrismaClient } from "./generated/prisma/client.ts";

export const kind = "prisma7 (prisma-client generator)";
export const prismaVersion: string = Prisma.prismaVersion.client;
export { library };

// max 2: the test database (embedded PGlite) takes 8 sockets in all.
const adapter = (url: string) => new PrismaPg({ connectionString: url, max: 2, idleTimeoutMillis: 1000 });

export const createBase = (url: string) => new PrismaClient({ adapter: adapter(url) });
export const withStore = (base: PrismaClient, embedder: Embedder) => base.$extends(hybridStore({ embedder }));

/** The same models with @map/@@map names (see mapped.prisma). */
export const createMappedBase = (url: string) => new MappedClient({ adapter: adapter(url) });
export const withMappedStore = (base: MappedClient, embedder: Embedder) => base.$extends(hybridStore({ embedder }));

/** `Prisma.dmmf`: this generator emits none (undefined). */
export const dmmf: unknown = (Prisma as unknown as { dmmf?: unknown }).dmmf;

/** Imports a module as this project resolves it (e.g. "prisma-hybrid-store/llamaindex"). */
export const importFromProject = (specifier: string): Promise<unknown> => import(specifier);
