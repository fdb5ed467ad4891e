/**
 * Benchmark data in three families (docs/benchmarks/method.md, "Data"), because recall depends on the
 * shape of the data:
 * - `clustered` (default, what every earlier figure used): a few hundred cluster centres, each
 *   with a low-dimensional local subspace, like sentence embeddings;
 * - `lowrank`: 384-d points drawn from 32 latent Gaussian dimensions plus isotropic noise (the
 *   shape on which issue #22 measured recall 0.963 under a 10% filter);
 * - `isotropic`: near-isotropic Gaussian points (per-dimension scales 0.7-1.3), the worst case
 *   for any ANN index.
 * A seeded "space" holds the family's parameters and the cluster topic words; rows and queries
 * are points drawn from it (texts come from a cluster's topic words in every family; only in
 * `clustered` do they follow the vector). Every row also carries a uniform draw `r` in
 * [0, 1000) that the selectivity fields derive from, independent of where the row sits in
 * vector space.
 */
import { normalize, Random } from "./random.ts";

export const DIMS = 384;

/** The vector distributions the suites can run on (`--family`). */
export const FAMILIES = ["clustered", "lowrank", "isotropic"] as const;
export type Family = (typeof FAMILIES)[number];

/** Shape of the data; the defaults are what every published number used. */
export interface SpaceOptions {
  family?: Family;
  seed?: number;
  centres?: number;
  /** Dimensions of each cluster's local subspace (the "low-dimensional surface"). */
  localDims?: number;
  /** Standard deviation along each local direction. */
  localScale?: number;
  /** Norm of the isotropic noise added to every point. */
  noise?: number;
  /** Weight of the direction all centres share (real embeddings are anisotropic). */
  shared?: number;
  /** `lowrank`: latent dimensions. */
  latentDims?: number;
  /** `lowrank`: norm of the isotropic noise relative to the latent part (norm ~1). */
  latentNoise?: number;
}

const DEFAULTS: Required<SpaceOptions> = {
  family: "clustered",
  seed: 42,
  centres: 300,
  localDims: 8,
  localScale: 0.35,
  noise: 0.25,
  shared: 0.4,
  latentDims: 32,
  latentNoise: 0.2,
};

const TOPIC_WORDS = 6;
const GENERAL_WORDS = 1200;
const ROWS_PER_DOCUMENT = 50;

export interface Space {
  readonly options: Required<SpaceOptions>;
  readonly centres: Float64Array[];
  readonly bases: Float64Array[][];
  /** Cumulative cluster weights (log-normal sizes), for sampling a cluster. */
  readonly cumulative: Float64Array;
  readonly topics: string[][];
  readonly general: string[];
  /** `lowrank`: the latent directions (latentDims x DIMS), each scaled by its latent sd. */
  readonly latent: Float64Array[];
  /** `isotropic`: per-dimension standard deviations. */
  readonly scales: Float64Array;
}

export function createSpace(options: SpaceOptions = {}): Space {
  const o = { ...DEFAULTS, ...options };
  const rng = new Random(o.seed);
  const gaussVec = (scale = 1) => Float64Array.from({ length: DIMS }, () => rng.gauss() * scale);
  const shared = gaussVec();
  normalize(shared);
  const centres: Float64Array[] = [];
  const bases: Float64Array[][] = [];
  const weights: number[] = [];
  for (let c = 0; c < o.centres; c++) {
    const g = gaussVec();
    normalize(g);
    const centre = g.map((x, i) => o.shared * shared[i]! + Math.sqrt(1 - o.shared ** 2) * x);
    normalize(centre);
    centres.push(centre);
    bases.push(
      Array.from({ length: o.localDims }, () => {
        const b = gaussVec();
        normalize(b);
        return b;
      }),
    );
    weights.push(Math.exp(0.7 * rng.gauss()));
  }
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const cumulative = Float64Array.from(weights, (w) => (acc += w / total));
  const words = pseudoWords(o.centres * TOPIC_WORDS + GENERAL_WORDS, rng);
  const topics = centres.map((_, c) => words.slice(c * TOPIC_WORDS, (c + 1) * TOPIC_WORDS));
  // Drawn after everything above, so the clustered family is unchanged by the other two.
  const family = new Random(o.seed * 65537 + 3);
  // Latent sds decay slowly (1 .. ~0.35), as an embedding's principal components do.
  const latent = Array.from({ length: o.latentDims }, (_, j) => {
    const d = Float64Array.from({ length: DIMS }, () => family.gauss());
    normalize(d);
    return d.map((x) => x / Math.sqrt(1 + j / 4));
  });
  const scales = Float64Array.from({ length: DIMS }, () => 0.7 + 0.6 * family.next());
  return {
    options: o,
    centres,
    bases,
    cumulative,
    topics,
    general: words.slice(o.centres * TOPIC_WORDS),
    latent,
    scales,
  };
}

/**
 * One point, unit length. `clustered`: cluster `c`'s centre + local-subspace offset + small
 * isotropic noise. `lowrank`: a latent Gaussian combination + noise. `isotropic`: Gaussian
 * with per-dimension scales.
 */
function samplePoint(space: Space, c: number, rng: Random, out: Float32Array): void {
  if (space.options.family === "lowrank") return sampleLowRank(space, rng, out);
  if (space.options.family === "isotropic") return sampleIsotropic(space, rng, out);
  const { localScale, noise } = space.options;
  const v = Float64Array.from(space.centres[c]!);
  for (const b of space.bases[c]!) {
    const a = rng.gauss() * localScale;
    for (let i = 0; i < DIMS; i++) v[i] = v[i]! + a * b[i]!;
  }
  const iso = noise / Math.sqrt(DIMS);
  for (let i = 0; i < DIMS; i++) v[i] = v[i]! + rng.gauss() * iso;
  normalize(v);
  out.set(v);
}

function sampleLowRank(space: Space, rng: Random, out: Float32Array): void {
  const v = new Float64Array(DIMS);
  for (const d of space.latent) {
    const z = rng.gauss();
    for (let i = 0; i < DIMS; i++) v[i] = v[i]! + z * d[i]!;
  }
  // The latent part has norm ~ sqrt(sum of latent variances); noise is a share of that.
  const latentNorm = Math.sqrt(space.latent.reduce((a, d) => a + d.reduce((b, x) => b + x * x, 0), 0));
  const iso = (space.options.latentNoise * latentNorm) / Math.sqrt(DIMS);
  for (let i = 0; i < DIMS; i++) v[i] = v[i]! + rng.gauss() * iso;
  normalize(v);
  out.set(v);
}

function sampleIsotropic(space: Space, rng: Random, out: Float32Array): void {
  const v = Float64Array.from(space.scales, (s) => s * rng.gauss());
  normalize(v);
  out.set(v);
}

function sampleCluster(space: Space, rng: Random): number {
  const u = rng.next();
  const i = space.cumulative.findIndex((c) => c >= u);
  return i < 0 ? space.cumulative.length - 1 : i;
}

export interface Dataset {
  readonly space: Space;
  readonly size: number;
  /** `size * DIMS` floats, row-major, unit rows. */
  readonly vectors: Float32Array;
  readonly texts: string[];
  readonly cluster: Uint16Array;
  /** Uniform in [0, 1000): the selectivity draw (see {@link FILTERS}). */
  readonly r: Uint16Array;
}

/** Rows 0..size-1. Row i of a bigger dataset with the same seed is row i here too. */
export function generateDataset(space: Space, size: number): Dataset {
  const rng = new Random(space.options.seed * 7919 + 1);
  const vectors = new Float32Array(size * DIMS);
  const texts: string[] = [];
  const cluster = new Uint16Array(size);
  const r = new Uint16Array(size);
  const seen = new Set<string>();
  for (let i = 0; i < size; i++) {
    const c = sampleCluster(space, rng);
    cluster[i] = c;
    r[i] = rng.int(1000);
    samplePoint(space, c, rng, vectors.subarray(i * DIMS, (i + 1) * DIMS));
    let text = sentence(space, c, rng);
    while (seen.has(text)) text = sentence(space, c, rng);
    seen.add(text);
    texts.push(text);
  }
  return { space, size, vectors, texts, cluster, r };
}

export interface QuerySet {
  readonly count: number;
  readonly vectors: Float32Array;
  /** Keyword queries in web-search syntax, one per vector query (see generateQueries). */
  readonly texts: string[];
  readonly cluster: Uint16Array;
}

/** New points from the same mixture (not rows of the dataset), with a matching keyword query. */
export function generateQueries(space: Space, count: number, seed = 7): QuerySet {
  const rng = new Random(space.options.seed * 104729 + seed);
  const vectors = new Float32Array(count * DIMS);
  const cluster = new Uint16Array(count);
  const texts: string[] = [];
  for (let q = 0; q < count; q++) {
    const c = sampleCluster(space, rng);
    cluster[q] = c;
    samplePoint(space, c, rng, vectors.subarray(q * DIMS, (q + 1) * DIMS));
    // A topic word of the cluster or one of the ten most common words: `websearch_to_tsquery`
    // ORs them, so filtered searches still find rows; rows with both rank first.
    texts.push(`${space.topics[c]![rng.int(TOPIC_WORDS)]} or ${space.general[rng.int(10)]}`);
  }
  return { count, vectors, texts, cluster };
}

/** Endless distinct-enough sentences in the style of the dataset, without vectors (for ingest runs). */
export function* sentences(space: Space, seed = 11): Generator<string> {
  const rng = new Random(space.options.seed * 31337 + seed);
  for (let i = 0; ; i++) yield `${sentence(space, sampleCluster(space, rng), rng)} (${i})`;
}

export const vectorOf = (vectors: Float32Array, i: number): Float32Array => vectors.subarray(i * DIMS, (i + 1) * DIMS);

/** The row's columns, as the bulk loader and every store write them. */
export function rowOf(data: Dataset, i: number) {
  const r = data.r[i]!;
  return {
    id: `a${i}`,
    documentId: `d${Math.floor(i / ROWS_PER_DOCUMENT)}`,
    rawText: data.texts[i]!,
    label: `l${r % 100}`,
    page: r,
    position: i % ROWS_PER_DOCUMENT,
    metadata: { i, tenant: `t${r % 100}`, r },
  };
}

export const documentCount = (size: number): number => Math.ceil(size / ROWS_PER_DOCUMENT);

/**
 * Filters with a known share of rows, as Prisma where-objects on Annotation and as the same
 * predicate on the draw `r` (`page` = r, b-tree indexed). `label`/`tenant` keep 1% each.
 */
export const FILTERS = {
  "100%": { where: { page: { lt: 1000 } }, keep: (r: number) => r < 1000 },
  "10%": { where: { page: { lt: 100 } }, keep: (r: number) => r < 100 },
  "1%": { where: { page: { lt: 10 } }, keep: (r: number) => r < 10 },
  "0.1%": { where: { page: { lt: 1 } }, keep: (r: number) => r < 1 },
} as const;
export type Selectivity = keyof typeof FILTERS;

/** The 1% equality filter: `label = 'l0'` (column) or `metadata.tenant = 't0'` (JSON). */
export const LABEL_1 = { where: { label: "l0" }, keep: (r: number) => r % 100 === 0 } as const;

function sentence(space: Space, c: number, rng: Random): string {
  const topic = space.topics[c]!;
  const words: string[] = [];
  const picked = new Set<number>();
  while (picked.size < 3) picked.add(rng.int(topic.length));
  for (const t of picked) words.push(topic[t]!);
  const general = 6 + rng.int(6);
  // Zipf-like: low indexes are common words.
  for (let k = 0; k < general; k++) words.push(space.general[Math.floor(space.general.length * rng.next() ** 2)]!);
  for (let k = words.length - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [words[k], words[j]] = [words[j]!, words[k]!];
  }
  const s = words.join(" ");
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

/** Distinct pronounceable words that end in a vowel (so the English stemmer leaves them alone). */
function pseudoWords(count: number, rng: Random): string[] {
  const consonants = "bdfgklmnprtvz";
  const vowels = "aiou";
  const out = new Set<string>();
  while (out.size < count) {
    const syllables = 2 + rng.int(2);
    let w = "";
    for (let s = 0; s < syllables; s++) w += rng.pick([...consonants]) + rng.pick([...vowels]);
    out.add(w);
  }
  return [...out];
}
