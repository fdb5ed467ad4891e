import { type Column, formatTable } from "./table.ts";

export type SearchMode = "vector" | "text" | "hybrid";

/** One result, with what the table shows next to the row the library returned. */
export interface SearchHit {
  /** The row as returned by the search (printed as is with --json). */
  readonly row: object;
  readonly source: string;
  readonly position: number | null;
  readonly label: string | null;
  readonly text: string;
}

interface Scores {
  distance?: number | null;
  similarity?: number | null;
  rank?: number;
  score?: number;
  vectorRank?: number | null;
  textRank?: number | null;
}

/** The results as a table, best first, with the scores of the mode. */
export function renderResults(hits: readonly SearchHit[], mode: SearchMode, width: number): string {
  if (hits.length === 0) return "No results.";
  const scoreColumns: Column[] =
    mode === "vector"
      ? [{ header: "similarity", align: "right" }]
      : mode === "text"
        ? [{ header: "rank", align: "right" }]
        : [
            { header: "score", align: "right" },
            { header: "vec#", align: "right" },
            { header: "text#", align: "right" },
          ];
  const columns: Column[] = [
    { header: "#", align: "right" },
    ...scoreColumns,
    { header: "label" },
    { header: "source" },
    { header: "text", flexible: true },
  ];
  const rows = hits.map((hit, i) => {
    const s = hit.row as Scores;
    const scores =
      mode === "vector"
        ? [fixed(s.similarity, 3)]
        : mode === "text"
          ? [fixed(s.rank, 4)]
          : [fixed(s.score, 4), rankOf(s.vectorRank), rankOf(s.textRank)];
    const where = hit.position === null ? hit.source : `${hit.source} #${hit.position}`;
    return [String(i + 1), ...scores, hit.label ?? "", where, hit.text];
  });
  return formatTable(columns, rows, Math.max(60, width));
}

const fixed = (n: number | null | undefined, digits: number) => (typeof n === "number" ? n.toFixed(digits) : "-");
const rankOf = (n: number | null | undefined) => (typeof n === "number" ? String(n) : "-");
