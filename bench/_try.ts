import { MiniLmEmbedder } from "../src/embed/minilm-embedder.ts";
import { tinyModelDir } from "../test/helpers/store.ts";
import { bulkLoadRows, bulkLoadRun } from "./suites/ingest-bulk.ts";
import { openTarget } from "./target.ts";

const log = (s: string) => console.log(s);
const target = await openTarget(log);
try {
  const embedder = new MiniLmEmbedder({ modelDir: tinyModelDir });
  const quick = process.env.QUICK === "1";
  const run = await bulkLoadRun({ target, rows: undefined, family: "clustered", quick, log, command: "" }, embedder);
  console.log(JSON.stringify(run));
  console.log(
    bulkLoadRows(run)
      .map((r) => r.join(" | "))
      .join("\n"),
  );
} finally {
  await target.close();
}
