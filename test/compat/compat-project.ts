/**
 * Loads a compatibility project's `store.ts` (test/compat/.projects/<kind>/store.ts, installed by
 * scripts/compat-setup.ts outside the repo) and describes what the runtime tests use of it.
 *
 * The project's clients and its copy of the built library are the user's, not this repo's: types
 * are checked in the project itself (types.test.ts); here they are only run, so the surface is
 * described loosely, by what the tests call.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type CompatKind, projectDir } from "../../scripts/compat-paths.ts";
import type * as Library from "../../src/index.ts";

export type Row = Record<string, unknown> & { id: string };
type Call<R> = (args: object) => Promise<R>;

/** A model delegate of an extended client; search methods exist once src/query ships them. */
export interface CompatDelegate {
  create: Call<Row>;
  createMany: Call<{ count: number }>;
  update: Call<Row>;
  upsert: Call<Row>;
  findMany: Call<Row[]>;
  count: Call<number>;
  similaritySearch?: Call<(Row & { similarity: number; distance: number })[]>;
  textSearch?: Call<(Row & { rank: number })[]>;
  hybridSearch?: Call<(Row & { score: number })[]>;
}

export interface CompatClient {
  document: CompatDelegate;
  annotation: CompatDelegate;
  $transaction<R>(fn: (tx: CompatClient) => Promise<R>): Promise<R>;
  $disconnect(): Promise<void>;
  $extends(extension: unknown): CompatClient;
  _runtimeDataModel?: unknown;
}

export interface CompatStore extends CompatClient {
  $reembed(options?: Library.ReembedOptions): Promise<Library.ReembedResult>;
}

/** The exports of a project's store.ts. */
export interface CompatProject {
  readonly kind: string;
  readonly prismaVersion: string;
  /** The built library as installed in the project (its classes, e.g. errors, are not src's). */
  readonly library: typeof Library;
  /** A plain client of the project (no extension), with its own small connection pool. */
  createBase(url: string): CompatClient;
  /** `base.$extends(hybridStore({ embedder }))`; prisma-client-js passes `dmmf` unless told not to. */
  withStore(base: CompatClient, embedder: Library.Embedder, options?: { useDmmf?: boolean }): CompatStore;
  /** The @map/@@map variant of the models (prisma7 only, see mapped.prisma). */
  createMappedBase?(url: string): CompatClient;
  withMappedStore?(base: CompatClient, embedder: Library.Embedder): CompatStore;
  /** `Prisma.dmmf` of the project's client, if its generator emits one. */
  readonly dmmf: unknown;
  importFromProject(specifier: string): Promise<unknown>;
}

export async function loadProject(kind: CompatKind): Promise<CompatProject> {
  const store = join(projectDir(kind), "store.ts");
  if (!existsSync(join(projectDir(kind), "node_modules", "prisma-hybrid-store"))) {
    throw new Error(
      `The ${kind} compatibility project is not installed in ${projectDir(kind)}: run the tests with ` +
        "`npm test` or first `node --import tsx scripts/compat-setup.ts`.",
    );
  }
  return (await import(pathToFileURL(store).href)) as CompatProject;
}
