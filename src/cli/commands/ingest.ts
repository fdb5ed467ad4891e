import { basename, dirname } from "node:path";
import type { IngestResult } from "../../index.ts";
import { intOption, parseCommandArgs } from "../args.ts";
import { type Command, note, print } from "../command.ts";
import { formatDuration } from "../format.ts";
import { DEFAULT_CHUNK_OPTIONS } from "../library-defaults.ts";
import { ProgressBar } from "../progress-bar.ts";
import { BIN } from "../report-error.ts";
import { UsageError } from "../usage-error.ts";

const spec = {
  command: "ingest",
  options: {
    label: { type: "string" },
    "label-from-folder": { type: "boolean" },
    "chunk-size": { type: "string" },
    overlap: { type: "string" },
    "batch-size": { type: "string" },
    prune: { type: "boolean" },
    "model-dir": { type: "string" },
    "data-dir": { type: "string" },
  },
  positionals: { name: "paths (files or directories to ingest)", min: 1 },
} as const;

export const ingestCommand: Command = {
  name: "ingest",
  summary: "store .txt/.md files as documents with embedded chunks",
  help: `Usage: ${BIN} ingest <paths...> [options]

Stores .txt and .md files (directories are searched recursively) as Documents, split at
sentence boundaries into Annotation chunks, each embedded by the save hook. Run it again at
any time: unchanged files are skipped, a changed file's chunks are replaced in one
transaction, and a run that was interrupted resumes where it stopped.

Options:
  --label L             label of every document and chunk
  --label-from-folder   label each file with its folder's name (notes/cooking/a.md: cooking)
  --chunk-size N        longest chunk in characters (default ${DEFAULT_CHUNK_OPTIONS.maxChars})
  --overlap N           characters of whole sentences repeated from one chunk to the next
                        (default ${DEFAULT_CHUNK_OPTIONS.overlap}; at most half the chunk size)
  --batch-size N        chunks per insert and embedding batch (default 64)
  --prune               afterwards, delete the documents (and their chunks) of files that
                        were deleted from the directories given; lists what it removed.
                        Only documents ingest wrote, from .txt/.md paths inside those
                        directories, are ever removed
  --model-dir DIR       local embedding model directory (default: PHS_MODEL_DIR, else
                        all-MiniLM-L6-v2 from the download cache or the Hugging Face Hub)
  --data-dir DIR        embedded database directory, when DATABASE_URL is unset
  -h, --help            show this help

Sources are stored relative to the current directory: run later ingests from the same
directory, so they recognise the files. Progress goes to stderr, the summary to stdout.`,

  async run(argv) {
    const { values, positionals } = parseCommandArgs(spec, argv);
    if (values.help) {
      print(this.help);
      return 0;
    }
    if (values.label !== undefined && values["label-from-folder"]) {
      throw new UsageError("use either --label or --label-from-folder, not both", "ingest");
    }
    const maxChars = intOption(values["chunk-size"], "chunk-size", "ingest", { min: 10, max: 1_000_000 });
    const overlap = intOption(values.overlap, "overlap", "ingest", { min: 0, max: 500_000 });
    const batchSize = intOption(values["batch-size"], "batch-size", "ingest", { min: 1, max: 10_000 });
    if (overlap !== undefined && overlap > (maxChars ?? DEFAULT_CHUNK_OPTIONS.maxChars) / 2) {
      throw new UsageError("--overlap must be at most half of --chunk-size", "ingest");
    }
    const label = values["label-from-folder"] ? (path: string) => basename(dirname(path)) : values.label;

    // The library, the model, Prisma and PGlite load here, not at the top: --help and usage
    // errors stay fast.
    const { collectFiles, ingestFiles } = await import("../../index.ts");
    // Missing paths and the model are checked before the database is touched.
    await collectFiles(positionals);
    await (await import("../prisma-runtime.ts")).checkPrismaRuntime();
    const { loadCliEmbedder, modelLine } = await import("../load-model.ts");
    const { connectStore } = await import("../connect.ts");
    const embedder = await loadCliEmbedder(values["model-dir"], note);
    note(modelLine(embedder));
    const store = await connectStore({ dataDir: values["data-dir"], embedder, announce: note });
    const bar = new ProgressBar();
    const controller = new AbortController();
    const onSigint = () => {
      if (controller.signal.aborted) process.exit(130);
      controller.abort();
      bar.done();
      note("Stopping after the current file (Ctrl-C again to quit now; the next run resumes)...");
    };
    process.on("SIGINT", onSigint);
    let result: IngestResult;
    try {
      result = await ingestFiles(store.prisma, positionals, {
        label,
        maxChars,
        overlap,
        batchSize,
        prune: values.prune === true,
        signal: controller.signal,
        onProgress: (progress) => bar.update(progress),
      });
    } finally {
      bar.done();
      process.off("SIGINT", onSigint);
      await store.close();
    }
    print(summarize(result));
    if (values.prune && !result.aborted) print(describePruned(result.pruned));
    if (result.aborted) {
      note(
        `Interrupted: the files listed as done are stored; run the same command again to finish${values.prune ? " (and prune)" : ""}.`,
      );
      return 1;
    }
    return 0;
  },
};

/** `8 files: 8 new, 0 changed, 0 unchanged. 23 chunks written in 1.2s (19.1 chunks/s).` */
export function summarize(result: IngestResult): string {
  const { files } = result;
  const total = files.new + files.changed + files.unchanged;
  const rate =
    result.seconds > 0 && result.chunks > 0 ? ` (${(result.chunks / result.seconds).toFixed(1)} chunks/s)` : "";
  return (
    `${total} file(s): ${files.new} new, ${files.changed} changed, ${files.unchanged} unchanged. ` +
    `${result.chunks} chunk(s) written in ${formatDuration(result.seconds)}${rate}.`
  );
}

/** `Removed 2 document(s) of deleted files:` and one source a line, or that there were none. */
export function describePruned(sources: readonly string[]): string {
  if (sources.length === 0) return "No documents of deleted files to remove.";
  return [`Removed ${sources.length} document(s) of deleted files:`, ...sources.map((s) => `  ${s}`)].join("\n");
}
