import type { Table } from "../report.ts";

/**
 * What each store can express, read from the source of the installed versions
 * (@langchain/community 1.1.29, @llamaindex/postgres 0.0.65) and this repository.
 */
export const CAPABILITIES: Table = {
  title: "What each store can do (from their source at the versions benchmarked)",
  columns: [
    "",
    "prisma-hybrid-store",
    "LangChain PGVectorStore",
    "LangChain PrismaVectorStore",
    "LlamaIndex PGVectorStore",
  ],
  rows: [
    [
      "filter on",
      "every column, JSON paths, relations (Prisma where)",
      "JSON metadata keys only",
      "columns of the one table",
      "JSON metadata keys only",
    ],
    [
      "filter operators",
      "Prisma's: equals, in, notIn, lt/lte/gt/gte, contains/startsWith/endsWith, not, JSON path ops, some/every/none",
      "equals, in, notIn, arrayContains, gt/gte/lt/lte (numbers), neq",
      "equals, in, notIn, isNull, isNotNull, like, lt/lte/gt/gte, not",
      "==, !=, >, <, >=, <=, in, nin, contains, any, all, is_empty, text_match",
    ],
    ["AND / OR / NOT", "all three, nested", "AND only", "AND only", "AND or OR (one level)"],
    ["full-text search", "yes (tsvector + GIN, websearch syntax)", "no", "no", "no"],
    ["hybrid (vector + text) search", "yes (RRF or weighted, one statement)", "no", "no", "no (query mode is ignored)"],
    [
      "vector index",
      "HNSW cosine (migration)",
      "HNSW via createHnswIndex()",
      "whatever the user's migration makes",
      "none created: every query is an exact scan",
    ],
    [
      "plan choice under a filter",
      "exact / HNSW / HNSW iterative scan by estimated cost (ef_search 100 unfiltered, 150 filtered); `plan`, `efSearch` overrides",
      "none (planner default)",
      "none (planner default)",
      "none (exact scan)",
    ],
    [
      "short answers under a selective filter",
      "fall back to an exact scan",
      "possible (returns fewer rows)",
      "possible (returns fewer rows)",
      "no (exact)",
    ],
    [
      "writes",
      "createMany / nested writes embed on save, same statement",
      "multi-row INSERT (500 per statement)",
      "one UPDATE per row after the rows exist",
      "one multi-row INSERT ... ON CONFLICT per add()",
    ],
  ],
};
