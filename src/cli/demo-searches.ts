import type { Prisma } from "../generated/prisma/client.ts";
import type { SearchMode } from "./search-output.ts";
import type { StoreClient } from "./store-client.ts";

type Method = "similaritySearch" | "textSearch" | "hybridSearch";

/** One search the demo runs and prints; its arguments are printed as the code that runs. */
export interface DemoSearch {
  readonly title: string;
  readonly method: Method;
  readonly args: { query: string; where?: Prisma.AnnotationWhereInput; take: number };
}

/** The fields of an annotation the demo prints. */
export interface DemoRow {
  readonly documentId: string;
  readonly position: number | null;
  readonly label: string | null;
  readonly rawText: string;
}

export const MODE_OF: Record<Method, SearchMode> = {
  similaritySearch: "vector",
  textSearch: "text",
  hybridSearch: "hybrid",
};

/** Vector, filtered vector, full-text, hybrid and relation-filtered hybrid search over the sample corpus. */
export const DEMO_SEARCHES: readonly DemoSearch[] = [
  {
    title: "Vector search: by meaning, the words need not match",
    method: "similaritySearch",
    args: { query: "How do I get out of the agreement early?", take: 3 },
  },
  {
    title: "Vector search with a filter: only chunks labelled astronomy",
    method: "similaritySearch",
    args: { query: "What happens when a star runs out of fuel?", where: { label: "astronomy" }, take: 3 },
  },
  {
    title: "Full-text search: exact words and phrases (web-search syntax)",
    method: "textSearch",
    args: { query: '"notice period"', take: 3 },
  },
  {
    title: "Hybrid search: the vector and full-text lists fused by reciprocal rank (RRF)",
    method: "hybridSearch",
    args: { query: "feeding a sourdough starter", take: 3 },
  },
  {
    title: "Hybrid search with a filter on the parent document (a relation filter)",
    method: "hybridSearch",
    args: { query: "composite index columns", where: { document: { title: { contains: "SQL" } } }, take: 3 },
  },
];

/** Runs one demo search through the extended client's model methods. */
export function runDemoSearch(prisma: StoreClient, search: DemoSearch): Promise<readonly (DemoRow & object)[]> {
  switch (search.method) {
    case "similaritySearch":
      return prisma.annotation.similaritySearch(search.args);
    case "textSearch":
      return prisma.annotation.textSearch(search.args);
    case "hybridSearch":
      return prisma.annotation.hybridSearch(search.args);
  }
}

/** `{ query: "x", where: { label: "a" }, take: 3 }`: arguments as one would type them. */
export function formatArgs(value: unknown): string {
  if (typeof value === "string")
    return value.includes('"') && !value.includes("'") ? `'${value}'` : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatArgs).join(", ")}]`;
  if (value && typeof value === "object") {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${formatArgs(v)}`)
      .join(", ")} }`;
  }
  return String(value);
}
