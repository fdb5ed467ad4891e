import { serverError } from "../../src/db/execute.ts";
import * as errors from "../../src/errors.ts";
import type { FuzzModel } from "./generate.ts";
import { shrink } from "./shrink.ts";

/** The outcome of one side: the ids found, or the error thrown. */
type Side = { ok: true; ids: string[] } | { ok: false; error: unknown };

/** A where on which the library and Prisma disagree. */
export interface Mismatch {
  readonly model: FuzzModel;
  readonly where: unknown;
  readonly reason: string;
  readonly prisma: string;
  readonly library: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the fuzzer drives both models through one code path
type AnyClient = any;
type ErrorClass = abstract new (...args: never[]) => Error;
/** The library's error classes, as the client under test has them (a compat project has its own copy). */
export interface ErrorClasses {
  readonly HybridStoreError: ErrorClass;
  readonly InvalidFilterError: ErrorClass;
  readonly InvalidArgumentError: ErrorClass;
}

/** One model under test, as the differential reaches it. */
export interface FuzzTable {
  /** The client's delegate (`annotation`). */
  readonly delegate: string;
  /** The where that keeps the fuzz run's rows; every where checked is ANDed with it. */
  readonly scope: object;
  /** A query vector of the model's dimensions. */
  readonly vector: readonly number[];
  /** textSearch/hybridSearch apply (the marking has full text). */
  readonly text: boolean;
}

/**
 * Compares the library's filters with Prisma's `findMany` on the fuzz rows: the same ids from an
 * exact `similaritySearch`, text/hybrid rows among them, and a typed error wherever Prisma
 * refuses the where.
 */
export class Differential {
  constructor(
    private readonly base: AnyClient,
    private readonly store: AnyClient,
    private readonly tables: Readonly<Record<FuzzModel, FuzzTable>>,
    private readonly errorClasses: ErrorClasses = errors,
  ) {}

  /** Undefined when both sides agree; otherwise the mismatch, with its where shrunk. */
  async check(model: FuzzModel, where: unknown, searches = false): Promise<Mismatch | undefined> {
    const found = await this.compare(model, where, searches);
    if (!found) return undefined;
    const small = await shrink(where, async (w) => (await this.compare(model, w, searches)) !== undefined);
    return (await this.compare(model, small, searches)) ?? found;
  }

  private table(model: FuzzModel): FuzzTable {
    const table = this.tables[model];
    if (!table) throw new Error(`no fuzz table for model ${model}`);
    return table;
  }

  private scoped(model: FuzzModel, where: unknown) {
    return { AND: [this.table(model).scope, where] };
  }

  private delegate(client: AnyClient, model: FuzzModel) {
    return client[this.table(model).delegate];
  }

  private async side(run: () => Promise<{ id: string | number }[]>): Promise<Side> {
    try {
      return { ok: true, ids: (await run()).map((r) => String(r.id)).sort() };
    } catch (error) {
      return { ok: false, error };
    }
  }

  async compare(model: FuzzModel, where: unknown, searches: boolean): Promise<Mismatch | undefined> {
    const { HybridStoreError, InvalidFilterError, InvalidArgumentError } = this.errorClasses;
    const w = this.scoped(model, where);
    const prisma = await this.side(() => this.delegate(this.base, model).findMany({ where: w, select: { id: true } }));
    const library = await this.side(() =>
      this.delegate(this.store, model).similaritySearch({
        query: [...this.table(model).vector],
        where: w,
        exact: true,
        take: 1000,
      }),
    );
    const mismatch = (reason: string): Mismatch => ({
      model,
      where,
      reason,
      prisma: describe(prisma),
      library: describe(library),
    });
    if (!library.ok && !(library.error instanceof HybridStoreError))
      return mismatch("the library threw an untyped error");
    if (prisma.ok && library.ok) {
      if (prisma.ids.join() !== library.ids.join()) return mismatch("different rows");
    } else if (prisma.ok && !library.ok) {
      return mismatch("the library refused a where Prisma accepts");
    } else if (!prisma.ok && isRefusal(prisma.error)) {
      const typed =
        !library.ok && (library.error instanceof InvalidFilterError || library.error instanceof InvalidArgumentError);
      if (!typed) return mismatch("Prisma refuses this where, the library did not throw InvalidFilterError");
    } else if (!library.ok && !(library.error instanceof InvalidFilterError) && !sameDatabaseRefusal(prisma, library)) {
      // Prisma failed in the database (a deliberate difference): the library answers or refuses
      // cleanly; or the database refuses both for the same reason (Citus: a correlated subquery
      // from a reference table into a distributed one).
      return mismatch("Prisma failed at run time, the library threw something other than InvalidFilterError");
    }
    if (searches && this.table(model).text && prisma.ok && library.ok)
      return this.searchesWithin(model, w, prisma.ids, mismatch);
    return undefined;
  }

  private async searchesWithin(
    model: FuzzModel,
    where: unknown,
    ids: readonly string[],
    mismatch: (reason: string) => Mismatch,
  ): Promise<Mismatch | undefined> {
    const allowed = new Set(ids);
    const d = this.delegate(this.store, model);
    const text = await this.side(() => d.textSearch({ query: "cat OR a OR dog", where, take: 1000 }));
    if (!text.ok) return mismatch(`textSearch threw: ${describe(text)}`);
    if (text.ids.some((id) => !allowed.has(id))) return mismatch("textSearch returned a row findMany does not");
    const hybrid = await this.side(() =>
      d.hybridSearch({ query: "cat", vector: [...this.table(model).vector], where, exact: true, take: 1000 }),
    );
    if (!hybrid.ok) return mismatch(`hybridSearch threw: ${describe(hybrid)}`);
    if (hybrid.ids.some((id) => !allowed.has(id))) return mismatch("hybridSearch returned a row findMany does not");
    return undefined;
  }
}

/** Prisma refused the input itself (before any SQL ran), as opposed to failing in the database. */
function isRefusal(error: unknown): boolean {
  return error instanceof Error && error.name === "PrismaClientValidationError";
}

function describe(side: Side): string {
  if (side.ok) return `${side.ids.length} rows`;
  const e = side.error as Error & { code?: string };
  const first = String(e?.message ?? e)
    .trim()
    .split("\n")
    .at(-1)
    ?.slice(0, 300);
  return `threw ${e?.name ?? typeof e}${e?.code ? ` ${e.code}` : ""}: ${first}`;
}

/** A where as text: JSON, with Prisma's sentinels, field references and Dates named. */
export function showWhere(where: unknown): string {
  return JSON.stringify(where, (_key, value) => {
    if (typeof value === "object" && value !== null) {
      const v = value as { _getName?: () => string; modelName?: string; name?: string };
      if (typeof v._getName === "function") return `Prisma.${v._getName()}`;
      if (v.modelName && v.name && "typeName" in v) return `fields.${v.name}`;
    }
    if (typeof value === "bigint") return `${value}n`;
    return value;
  });
}

/**
 * Both statements failed in the database, with the same SQLSTATE or the library's with 0A000
 * (feature not supported): a limit of the server, not of the filter. (`sqlState` read by shape: a compat project's QueryError is its own class.)
 */
function sameDatabaseRefusal(prisma: Side, library: Side): boolean {
  if (prisma.ok || library.ok) return false;
  const sqlState = (library.error as { sqlState?: unknown }).sqlState;
  const prismaState = serverError(prisma.error)?.code;
  if (typeof sqlState !== "string" || prismaState === undefined) return false;
  // 0A000: the server does not support the statement's shape (Citus, a correlated subquery from a
  // reference table), whatever Prisma's own statement failed on.
  return prismaState === sqlState || sqlState === "0A000";
}
