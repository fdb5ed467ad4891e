import type { Prisma } from "../../generated/prisma/client.ts";
import { choiceOption, intOption, parseCommandArgs } from "../args.ts";
import { type Command, note, print } from "../command.ts";
import { BIN } from "../report-error.ts";
import { renderResults, type SearchHit, type SearchMode } from "../search-output.ts";
import type { StoreClient } from "../store-client.ts";

const MODES = ["hybrid", "vector", "text"] as const;
const MODELS = ["annotation", "document"] as const;

const spec = {
  command: "search",
  options: {
    mode: { type: "string" },
    model: { type: "string" },
    document: { type: "string" },
    label: { type: "string" },
    contains: { type: "string" },
    take: { type: "string" },
    json: { type: "boolean" },
    "model-dir": { type: "string" },
    "data-dir": { type: "string" },
  },
  positionals: { name: "query (the text to search for)", min: 1, max: 1 },
} as const;

/** What the CLI flags become: one search of the library's API. */
export interface SearchRequest {
  readonly query: string;
  readonly mode: SearchMode;
  readonly label?: string | undefined;
  readonly document?: string | undefined;
  readonly contains?: string | undefined;
  readonly take: number;
}

export const searchCommand: Command = {
  name: "search",
  summary: "vector, full-text or hybrid search with filters",
  help: `Usage: ${BIN} search <query> [options]

Searches the chunks (or whole documents) by meaning (vector), by words (full-text, web-search
syntax: "a phrase", or, -word) or both fused with reciprocal rank fusion (hybrid, the default).

Options:
  --mode vector|text|hybrid       how to search (default hybrid)
  --model annotation|document     search chunks or whole documents (default annotation)
  --document ID                   only this document's chunks (with --model document: that document)
  --label L                       only rows with this label
  --contains TEXT                 only rows whose text contains TEXT (any case)
  --take N                        number of results, 1 to 1000 (default 5)
  --json                          print the rows as JSON (for scripts) instead of a table
  --model-dir DIR                 local embedding model directory (default: PHS_MODEL_DIR, else
                                  all-MiniLM-L6-v2 from the download cache or the Hugging Face Hub)
  --data-dir DIR                  embedded database directory, when DATABASE_URL is unset
  -h, --help                      show this help

Scores: vector results have distance (cosine) and similarity = 1 - distance; text results a
rank (ts_rank_cd); hybrid results a fused score and their rank in each list.`,

  async run(argv) {
    const { values, positionals } = parseCommandArgs(spec, argv);
    if (values.help) {
      print(this.help);
      return 0;
    }
    const request: SearchRequest = {
      query: positionals[0]!,
      mode: choiceOption(values.mode, "mode", "search", MODES, "hybrid"),
      label: values.label,
      document: values.document,
      contains: values.contains,
      take: intOption(values.take, "take", "search", { min: 1, max: 1000 }) ?? 5,
    };
    const model = choiceOption(values.model, "model", "search", MODELS, "annotation");
    // The model, Prisma and PGlite load here, not at the top: --help and usage errors stay fast.
    await (await import("../prisma-runtime.ts")).checkPrismaRuntime();
    const { loadCliEmbedder, modelLine } = await import("../load-model.ts");
    const { cliEmbedder } = await import("../store-client.ts");
    const { connectStore } = await import("../connect.ts");
    // Full-text search embeds nothing: the model is only loaded for the other modes.
    const embedder =
      request.mode === "text" ? cliEmbedder(values["model-dir"]) : await loadCliEmbedder(values["model-dir"], note);
    if (request.mode !== "text") note(modelLine(embedder));
    const store = await connectStore({ dataDir: values["data-dir"], embedder, announce: note });
    try {
      const hits =
        model === "annotation"
          ? await searchAnnotations(store.prisma, request)
          : await searchDocuments(store.prisma, request);
      print(
        values.json
          ? JSON.stringify(
              hits.map((h) => h.row),
              null,
              2,
            )
          : renderResults(hits, request.mode, process.stdout.columns ?? 120),
      );
      return 0;
    } finally {
      await store.close();
    }
  },
};

const ANNOTATION_SELECT = {
  id: true,
  documentId: true,
  rawText: true,
  label: true,
  position: true,
  page: true,
  document: { select: { source: true, title: true } },
} as const;

/** Chunk search: the three modes of `prisma.annotation.*Search` with the CLI's filters. */
export async function searchAnnotations(prisma: StoreClient, r: SearchRequest): Promise<SearchHit[]> {
  const where: Prisma.AnnotationWhereInput = {
    ...(r.label === undefined ? {} : { label: r.label }),
    ...(r.document === undefined ? {} : { documentId: r.document }),
    ...(r.contains === undefined ? {} : { rawText: { contains: r.contains, mode: "insensitive" } }),
  };
  const args = { query: r.query, where, take: r.take, select: ANNOTATION_SELECT };
  const rows =
    r.mode === "vector"
      ? await prisma.annotation.similaritySearch(args)
      : r.mode === "text"
        ? await prisma.annotation.textSearch(args)
        : await prisma.annotation.hybridSearch(args);
  return rows.map((row) => ({
    row,
    source: row.document.source ?? row.document.title ?? row.documentId,
    position: row.position,
    label: row.label,
    text: row.rawText,
  }));
}

const DOCUMENT_SELECT = { id: true, source: true, title: true, label: true, content: true } as const;

/** Document search: the same, over whole documents. */
export async function searchDocuments(prisma: StoreClient, r: SearchRequest): Promise<SearchHit[]> {
  const where: Prisma.DocumentWhereInput = {
    ...(r.label === undefined ? {} : { label: r.label }),
    ...(r.document === undefined ? {} : { id: r.document }),
    ...(r.contains === undefined ? {} : { content: { contains: r.contains, mode: "insensitive" } }),
  };
  const args = { query: r.query, where, take: r.take, select: DOCUMENT_SELECT };
  const rows =
    r.mode === "vector"
      ? await prisma.document.similaritySearch(args)
      : r.mode === "text"
        ? await prisma.document.textSearch(args)
        : await prisma.document.hybridSearch(args);
  return rows.map((row) => ({
    row,
    source: row.source ?? row.id,
    position: null,
    label: row.label,
    text: row.title ? `${row.title}: ${row.content}` : row.content,
  }));
}
