import { queryRows } from "../db/execute.ts";
import type { TransactionClient } from "../db/hnsw-rebuild.ts";
import type { ModelMeta } from "../schema/model-meta.ts";
import type { CompiledQuery } from "../sql/compiled-query.ts";
import { qualified, quoteIdent, quoteTable } from "../sql/identifiers.ts";
import { SqlParams } from "../sql/sql-params.ts";
import type { SearchClient, SettingsAt } from "./run-search.ts";
import { settingsStatement } from "./run-search.ts";
import type { VectorIndex } from "./vector-index.ts";
import { candidateLimit, indexOrder, VECTOR_INDEX } from "./vector-index.ts";

/** recall@K is what calibration measures and what the targets mean. */
export const RECALL_K = 10;
/**
 * Sampled rows that serve as queries, whatever the table's size. Fewer were used above 62,500
 * rows to bound the exact scans, but at a million rows 4 probes read recall 1.0 at an
 * ef_search where the bench's queries found 0.927 (the graph loses whole queries there, so
 * recall is 0 or 1 per query and 4 samples rarely see a loss; with 16 the bench's queries met
 * 0.991). At 1M rows a measurement takes about 44 s on 2 cores; only the first search waits
 * for it (refreshes run in the background).
 */
export const PROBE_QUERIES = 16;
/** Fewer than this and a measurement says too little: calibration is skipped. */
export const MIN_PROBE_QUERIES = 4;
/** The ef_search values tried, smallest first; the ladder stops at the first with recall 1. */
export const EF_LADDER = [40, 64, 100, 160, 250, 400, 640, 1000] as const;

/** Measured mean recall@{@link RECALL_K} at one ef_search. */
export interface RecallPoint {
  readonly efSearch: number;
  readonly recall: number;
}

/** What a calibration measured on one table. */
export interface RecallMeasurement {
  /** Plain HNSW (no filter), ascending ef_search. */
  readonly unfiltered: readonly RecallPoint[];
  /** HNSW with an iterative scan under a filter keeping {@link filterShare} of the rows. */
  readonly filtered: readonly RecallPoint[];
  readonly filterShare: number;
  readonly queries: number;
}

interface Sample {
  readonly id: string;
  readonly vector: string;
}

/** ef_search of the probe that finds how far each sampled row's neighbours are. */
const NEIGHBOUR_EF = 200;

/**
 * Measures the HNSW index's recall near the table's own rows: up to 16 sampled rows, each moved
 * off the data by isotropic noise as long as the distance to its 10th nearest neighbour, are
 * the queries. A row itself would be an easy query (the search lands on it, and its graph
 * edges are its approximate neighbours: on a weak graph that read 0.975 where new points got
 * 0.95); a point off the data, as real queries are, is not. Exact answers come from one
 * bounded scan ({@link exactNeighbours}), and the index answers at each ef_search of {@link EF_LADDER} with the library's
 * statement shape, plain and with an iterative scan under a hash filter that keeps
 * `filterShare` of the rows (unrelated to where rows sit in vector space, like most filters).
 * The index runs in transactions with `enable_sort = off` and `enable_seqscan = off`
 * so the planner walks the index even on a table small enough to sort (then a real search
 * may be exact: the measurement is the index's worst case). Returns undefined when the table
 * has too few rows with a vector to say anything.
 */
export async function measureRecall(
  client: SearchClient,
  model: ModelMeta,
  total: number,
  filterShare: number,
  index: VectorIndex = VECTOR_INDEX,
  settings: SettingsAt = "statement",
): Promise<RecallMeasurement | undefined> {
  const samples = await sampleRows(client, model, total, PROBE_QUERIES);
  if (samples.length < MIN_PROBE_QUERIES) return undefined;
  const near = await inIndexTransaction(
    client,
    settings,
    NEIGHBOUR_EF,
    false,
    samples.map((s) => probeQuery(model, s.vector, "plain", null, index, NEIGHBOUR_EF)),
  );
  const queries = samples.map((s, i) => {
    const others = near[i]!.filter((r) => r.id !== s.id);
    const kth = Number(others[Math.min(RECALL_K, others.length) - 1]?.distance ?? 0);
    return offTheData(JSON.parse(s.vector) as number[], Math.sqrt(2 * Math.max(kth, 0)), i + 1);
  });
  const share = Math.round(filterShare * 1024);
  const answersAt = (ef: number, filtered: boolean) =>
    inIndexTransaction(
      client,
      settings,
      ef,
      filtered,
      queries.map((q) => probeQuery(model, q, filtered ? "iterative" : "plain", filtered ? share : null, index, ef)),
    );
  // The first rung's answers bound how far each query's true neighbours can be (see exactNeighbours).
  const first = { plain: await answersAt(EF_LADDER[0], false), filtered: await answersAt(EF_LADDER[0], true) };
  const bounds = queries.map((_, q) => {
    const plain = tenthDistance(first.plain[q]!);
    const filtered = tenthDistance(first.filtered[q]!);
    return plain === undefined || filtered === undefined ? undefined : Math.max(plain, filtered);
  });
  const truth = await exactNeighbours(client, model, queries, bounds, share);
  const curve = async (filtered: boolean): Promise<RecallPoint[]> => {
    const points: RecallPoint[] = [];
    for (const ef of EF_LADDER) {
      const answers = ef === EF_LADDER[0] ? first[filtered ? "filtered" : "plain"] : await answersAt(ef, filtered);
      const expected = filtered ? truth.filtered : truth.unfiltered;
      const recall = mean(
        answers.map((got, q) =>
          recallOf(
            expected[q]!,
            got.map((r) => r.id),
          ),
        ),
      );
      points.push({ efSearch: ef, recall });
      if (recall >= 1) break;
    }
    return points;
  };
  const unfiltered = await curve(false);
  const filtered = await curve(true);
  return { unfiltered, filtered, filterShare: share / 1024, queries: queries.length };
}

/** The exact top {@link RECALL_K} ids of each query, without a filter and under the probes' hash filter. */
export interface ExactNeighbours {
  readonly unfiltered: readonly (readonly string[])[];
  readonly filtered: readonly (readonly string[])[];
}

/**
 * The exact answers for every query, from one scan of the table where it can: each query's
 * `bound` (the 10th distance its index answers found, plain or filtered, whichever is larger;
 * real rows' real distances, so no nearer than the true 10th) keeps only the rows that can be
 * among its true neighbours, and the scan returns the rows within some query's bound, with
 * every query's distance, sorted per query here. One pass computing 16 distances a row instead
 * of 32 sorted scans (16 queries, plain and filtered), which alone took 6.4-6.8 s of a
 * calibration at 100k rows on 2 loaded cores. Every row within a query's bound comes back, so its top
 * {@link RECALL_K} are exact; rows past the bound (kept for another query) rank after them. A
 * query without a bound (its index answer had fewer than {@link RECALL_K} rows) gets its own
 * exact scans. `share` is the filter's share of 1024 hash buckets, as the index probes use it.
 */
export async function exactNeighbours(
  client: SearchClient,
  model: ModelMeta,
  queries: readonly string[],
  bounds: readonly (number | undefined)[],
  share: number,
): Promise<ExactNeighbours> {
  const bounded = queries.flatMap((vector, q) => {
    const bound = bounds[q];
    return bound === undefined ? [] : [{ q, vector, bound }];
  });
  const unfiltered: string[][] = queries.map(() => []);
  const filtered: string[][] = queries.map(() => []);
  if (bounded.length > 0) {
    const rows = (
      await queryRows<{ id: string; kept: boolean; distances: string }>(client, boundedScan(model, bounded, share))
    ).map((r) => ({ id: r.id, kept: r.kept, distances: r.distances.slice(1, -1).split(",").map(Number) }));
    bounded.forEach(({ q }, i) => {
      const nearest = [...rows].sort(
        (a, b) => a.distances[i]! - b.distances[i]! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
      unfiltered[q] = nearest.slice(0, RECALL_K).map((r) => r.id);
      filtered[q] = nearest
        .filter((r) => r.kept)
        .slice(0, RECALL_K)
        .map((r) => r.id);
    });
  }
  for (const [q, vector] of queries.entries()) {
    if (bounds[q] !== undefined) continue;
    unfiltered[q] = await ids(client, exactQuery(model, vector, null));
    filtered[q] = await ids(client, exactQuery(model, vector, share));
  }
  return { unfiltered, filtered };
}

/**
 * The rows within some query's bound, each with whether the hash filter keeps it and its
 * distance to every query (`{d1,d2,...}`). No ORDER BY and no LIMIT: Citus runs it on every
 * shard as it stands, and a row none of the queries can use costs its distances, not a sort.
 */
function boundedScan(
  model: ModelMeta,
  queries: readonly { readonly vector: string; readonly bound: number }[],
  share: number,
): CompiledQuery {
  const params = new SqlParams();
  const emb = qualified("t", model.embeddingColumn);
  const id = qualified("t", model.idField.column);
  const vectors = queries.map((q) => params.param(q.vector, "vector"));
  // A relative hair over each bound: the bound is a distance printed as text and read back.
  const within = queries.map((q, i) => `(${emb} <=> ${vectors[i]}) <= ${params.param(q.bound * (1 + 1e-9), "float8")}`);
  return params.finish(
    `SELECT ${id}::text AS "id", ${hashFilter(id, params, share)} AS "kept", ` +
      `ARRAY[${vectors.map((v) => `${emb} <=> ${v}`).join(", ")}]::float8[]::text AS "distances" ` +
      `FROM ${quoteTable(model)} AS "t" WHERE ${emb} IS NOT NULL AND (${within.join(" OR ")})`,
  );
}

/** Keeps about `share` / 1024 of the rows, unrelated to where they sit in vector space. */
function hashFilter(id: string, params: SqlParams, share: number): string {
  return `(hashtext(${id}::text) & 1023) < ${params.param(share)}`;
}

/** The 10th distance of an index answer sorted by distance, when it has 10 rows. */
function tenthDistance(answer: readonly Neighbour[]): number | undefined {
  const tenth = answer[RECALL_K - 1];
  return tenth === undefined ? undefined : Number(tenth.distance);
}

/**
 * `v` plus Gaussian noise of norm `distance` (a chord: for unit vectors, cosine distance d is
 * a chord of sqrt(2d)), as pgvector text. Seeded, so a table's probes repeat.
 */
function offTheData(v: readonly number[], distance: number, seed: number): string {
  const random = mulberry32(seed);
  const noise = v.map(() => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  const norm = Math.hypot(...v) || 1;
  const noiseNorm = Math.hypot(...noise) || 1;
  return `[${v.map((x, i) => x / norm + (distance * noise[i]!) / noiseNorm).join(",")}]`;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function sampleRows(client: SearchClient, model: ModelMeta, total: number, count: number): Promise<Sample[]> {
  const params = new SqlParams();
  // About 3x the rows needed, so LIMIT does not just take the first pages; REPEATABLE keeps a
  // table's sample the same from one calibration to the next.
  const percent = Math.min(100, (100 * 3 * count) / Math.max(total, 1));
  const id = quoteIdent(model.idField.column);
  const emb = quoteIdent(model.embeddingColumn);
  const rows = await queryRows<{ id: string; vector: string }>(
    client,
    params.finish(
      `SELECT ${id}::text AS "id", ${emb}::text AS "vector" FROM ${quoteTable(model)} ` +
        `TABLESAMPLE BERNOULLI (${params.param(percent, "float8")}) REPEATABLE (22) ` +
        `WHERE ${emb} IS NOT NULL ORDER BY hashtext(${id}::text) LIMIT ${params.param(count)}`,
    ),
  );
  return rows;
}

/**
 * The top K+1 ids (and distances) for one probe vector through the index, as a search walks it
 * (a halfvec index's candidates re-ranked by the exact distance, as searches do).
 */
function probeQuery(
  model: ModelMeta,
  probe: string,
  mode: "plain" | "iterative",
  share: number | null,
  index: VectorIndex,
  ef: number,
): CompiledQuery {
  const params = new SqlParams();
  const vector = params.param(probe, "vector");
  const emb = qualified("t", model.embeddingColumn);
  const id = qualified("t", model.idField.column);
  const filter = share === null ? "" : ` AND ${hashFilter(id, params, share)}`;
  // One more than K: the neighbour probe drops the sampled row itself.
  const k = RECALL_K + 1;
  const order = indexOrder(index, "t", model.embeddingColumn, vector);
  const candidates = params.param(candidateLimit(index, k, ef, mode === "iterative"));
  return params.finish(
    `SELECT "id", "distance" FROM (SELECT ${id}::text AS "id", ${emb} <=> ${vector} AS "distance" ` +
      `FROM ${quoteTable(model)} AS "t" WHERE ${emb} IS NOT NULL${filter} ORDER BY ${order} LIMIT ${candidates}) AS "c" ` +
      `ORDER BY "distance", "id" LIMIT ${params.param(k)}`,
  );
}

/** The exact top K ids for one probe vector, optionally under the hash filter. */
function exactQuery(model: ModelMeta, probe: string, share: number | null): CompiledQuery {
  const params = new SqlParams();
  const vector = params.param(probe, "vector");
  const emb = qualified("t", model.embeddingColumn);
  const id = qualified("t", model.idField.column);
  const filter = share === null ? "" : ` AND ${hashFilter(id, params, share)}`;
  // `+ 0`: no index orders by it, so the rows are sorted exactly, in one flat ORDER BY ... LIMIT
  // that Citus pushes to every shard (a fenced subquery would bring every row to the coordinator).
  return params.finish(
    `SELECT ${id}::text AS "id", (${emb} <=> ${vector}) + 0 AS "distance" FROM ${quoteTable(model)} AS "t" ` +
      `WHERE ${emb} IS NOT NULL${filter} ORDER BY "distance", ${id} LIMIT ${params.param(RECALL_K)}`,
  );
}

/**
 * Calibration is the store's own work, not the caller's query: it gets its own bounds instead of
 * the client's transaction defaults (Prisma's 2 s to start and 5 s to finish, which batch
 * transactions take too). On a loaded machine 16 probes at ef_search 1000 outlast 5 s, and a
 * calibration that times out leaves every search on the defaults.
 */
const PROBE_TRANSACTION = { maxWait: 60_000, timeout: 300_000 } as const;

/**
 * Runs index probes in one interactive transaction under ef_search and planner settings that end
 * with it (on a Citus table as `SET LOCAL`s, which reach the shards that run the index scans).
 */
async function inIndexTransaction(
  client: SearchClient,
  at: SettingsAt,
  ef: number,
  iterative: boolean,
  probes: readonly CompiledQuery[],
): Promise<Neighbour[][]> {
  const settings = settingsStatement(
    [
      ...(at === "shards" ? [["citus.propagate_set_commands", "local"] as const] : []),
      ["hnsw.ef_search", String(ef)],
      ["hnsw.iterative_scan", iterative ? "relaxed_order" : "off"],
      ["enable_sort", "off"],
      ["enable_seqscan", "off"],
    ],
    at,
  );
  return (client as TransactionClient).$transaction(async (tx) => {
    await tx.$executeRawUnsafe(settings.sql, ...settings.params);
    const answers: Neighbour[][] = [];
    for (const p of probes) answers.push(await tx.$queryRawUnsafe<Neighbour[]>(p.sql, ...p.params));
    return answers;
  }, PROBE_TRANSACTION);
}

interface Neighbour {
  readonly id: string;
  readonly distance: unknown;
}

async function ids(client: SearchClient, query: CompiledQuery): Promise<string[]> {
  return (await queryRows<{ id: string }>(client, query)).map((r) => r.id);
}

/** Share of the exact answer the index found; an empty exact answer is found by anything. */
function recallOf(truth: readonly string[], got: readonly string[]): number {
  if (truth.length === 0) return 1;
  const expected = new Set(truth);
  let found = 0;
  for (const id of got.slice(0, RECALL_K)) if (expected.has(id)) found++;
  return found / truth.length;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
