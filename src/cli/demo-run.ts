import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { type EmbeddedDatabase, ingestFiles, startEmbeddedDatabase } from "../index.ts";
import { migrateDeploy } from "./apply-migrations.ts";
import { note, print } from "./command.ts";
import { summarize } from "./commands/ingest.ts";
import { fallbackNotice, loadDemoModel } from "./demo-model.ts";
import { DEMO_SEARCHES, formatArgs, MODE_OF, runDemoSearch } from "./demo-searches.ts";
import { formatDuration } from "./format.ts";
import { packagePaths } from "./package-paths.ts";
import { ProgressBar } from "./progress-bar.ts";
import { BIN } from "./report-error.ts";
import { renderResults } from "./search-output.ts";
import { createStoreClient } from "./store-client.ts";

/**
 * The demo: a throwaway embedded database, the bundled migrations, the sample corpus ingested
 * with folder labels, and a few searches printed with the code that ran them.
 */
export async function runDemo(options: { modelDir: string | undefined }): Promise<number> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "phs-demo-"));
  let db: EmbeddedDatabase | undefined;
  const cleanup = async () => {
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSigint = () => {
    note("\nCtrl-C: stopping the demo database...");
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSigint);
  try {
    note("Starting the embedded database and loading the embedding model...");
    const model = loadDemoModel(options.modelDir, note);
    model.catch(() => undefined); // awaited below; do not let an early failure go unhandled meanwhile
    const t0 = performance.now();
    db = await startEmbeddedDatabase({ dataDir: join(dir, "pgdata"), maxConnections: 4, handleSignals: false });
    const dbSeconds = (performance.now() - t0) / 1000;
    const migrated = await migrateDeploy(db.url);
    note(
      `Database ready in ${formatDuration(dbSeconds)}; ${migrated.applied.length} migrations applied in ` +
        `${formatDuration(migrated.seconds)}.`,
    );
    const { embedder, tiny, failure, seconds: modelSeconds } = await model;
    if (failure) print(`\n${fallbackNotice(failure)}\n`);
    else if (tiny) print("\nNOTE: running on the tiny TEST model (PHS_MODEL_DIR): results are NOT semantic.\n");
    note(
      `Embedding model: ${embedder.modelId}${tiny ? " (test model)" : ""}, loaded in ${formatDuration(modelSeconds)}.`,
    );

    const prisma = createStoreClient(db.url, embedder);
    try {
      const bar = new ProgressBar();
      const result = await ingestFiles(prisma, [packagePaths.sample], {
        root: packagePaths.root,
        label: (path) => basename(dirname(path)),
        onProgress: (p) => bar.update(p),
      });
      bar.done();
      print(`${summarize(result)}\n`);

      const sources = new Map(
        (await prisma.document.findMany({ select: { id: true, source: true } })).map((d) => [d.id, d.source ?? d.id]),
      );
      for (const [i, search] of DEMO_SEARCHES.entries()) {
        const rows = await runDemoSearch(prisma, search);
        print(`${i + 1}. ${search.title}`);
        print(`   prisma.annotation.${search.method}(${formatArgs(search.args)})\n`);
        const hits = rows.map((row) => ({
          row,
          source: sources.get(row.documentId) ?? row.documentId,
          position: row.position,
          label: row.label,
          text: row.rawText,
        }));
        print(`${indent(renderResults(hits, MODE_OF[search.method], (process.stdout.columns ?? 120) - 2))}\n`);
      }
    } finally {
      await prisma.$disconnect();
    }
    if (tiny) print("Reminder: these results come from the tiny test model and are NOT semantic.\n");
    print(`Demo finished in ${formatDuration((performance.now() - started) / 1000)}. Try it on your own files:`);
    print(`  npx ${BIN} db                 # terminal 1: a persistent embedded database`);
    print(`  npx ${BIN} migrate            # terminal 2`);
    print(`  npx ${BIN} ingest ./notes --label notes`);
    print(`  npx ${BIN} search "what did we decide about pricing" --label notes`);
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
    await cleanup();
  }
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
