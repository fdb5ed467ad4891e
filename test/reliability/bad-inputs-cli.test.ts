/**
 * Issue #8, bad inputs through the CLI, run as a user runs it (a spawned `prisma-hybrid-store`
 * process on the test database): a wrong command line exits 2, a run-time failure exits 1, both
 * with one line on stderr and nothing written; input that is only data (SQL in a query, a label
 * or a file name) exits 0 and is stored or searched as exactly that data.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe } from "node:test";
import { type CliRun, errorLines, runCli, tempCorpora } from "../helpers/cli.ts";
import { uniqueLabel, withPg } from "../helpers/db.ts";
import { type BadInput, type Created, runCases } from "./cases.ts";

const HOSTILE = `x'; DROP TABLE "Document"; --`;
const { corpus } = tempCorpora("phs-bad-cli-");

interface CliCase {
  readonly name: string;
  /** The command line; a function when it needs a directory made for the case. */
  readonly args: readonly string[] | (() => { args: string[]; cwd?: string });
  readonly env?: Record<string, string | undefined>;
  /** 2: the command line is wrong; 1: failed at run time; 0: the input is data and it worked. */
  readonly exit: 0 | 1 | 2;
  /** For exits 1 and 2: the one error line on stderr. */
  readonly error?: RegExp;
  /** For exit 0: checks what was printed or stored; returns rows it wrote, deleted before the comparison. */
  readonly check?: (run: CliRun) => Promise<Created | undefined> | Created | undefined;
  readonly todo?: string;
}

/** A CLI case as a bad input: the run must exit as expected with one error line, or pass `check`. */
function asBadInput(c: CliCase): BadInput {
  return {
    name: c.name,
    todo: c.todo,
    run: async () => {
      const { args, cwd } = typeof c.args === "function" ? c.args() : { args: [...c.args], cwd: undefined };
      return runCli(args, { env: c.env, cwd });
    },
    accepts: async (result) => {
      const run = result as CliRun;
      assert.equal(run.code, c.exit, `exit code (stderr: ${run.stderr.trim()})`);
      if (c.exit === 0) return c.check?.(run);
      const lines = errorLines(run);
      assert.equal(lines.length, 1, `exactly one error line, got: ${run.stderr.trim()}`);
      assert.match(lines[0]!, c.error ?? /./);
      assert.equal(run.stdout, "", "nothing on stdout");
      return undefined;
    },
  };
}

/** Documents (with their chunks) stored under `label`, read around the CLI. */
async function documentsLabelled(label: string) {
  return withPg(async (pg) => {
    const { rows } = await pg.query<{ id: string; source: string; content: string; chunks: number; embedded: boolean }>(
      `SELECT d.id, d.source, d.content,
              (SELECT count(*)::int FROM "Annotation" a WHERE a."documentId" = d.id) AS chunks,
              d.embedding IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "Annotation" a WHERE a."documentId" = d.id AND a.embedding IS NULL) AS embedded
         FROM "Document" d WHERE d.label = $1 ORDER BY d.source`,
      [label],
    );
    return rows;
  });
}

const json = (run: CliRun) => JSON.parse(run.stdout) as { id: string }[];
const usage = (command: string) =>
  new RegExp(`^prisma-hybrid-store ${command}: .*\\(see 'prisma-hybrid-store ${command} --help'\\)$`);

/** Ingest labels, one per case that stores something. */
const labels = {
  hostile: `${HOSTILE} ${uniqueLabel()}`,
  utf8: uniqueLabel("bad-cli-utf8"),
  empty: uniqueLabel("bad-cli-empty"),
  large: uniqueLabel("bad-cli-large"),
};
const LARGE = Array.from({ length: 2500 }, (_, i) => `Sentence ${i} says the rent is due on day ${(i % 28) + 1}.`)
  .join(" ")
  .slice(0, 100_000);
const invalidUtf8 = Buffer.concat([
  Buffer.from("Rent is due "),
  Buffer.from([0xff, 0xfe]), // never valid in UTF-8
  Buffer.from(" and a lone surrogate encoded anyway: "),
  Buffer.from([0xed, 0xa0, 0x80]), // U+D800 in CESU-8: invalid UTF-8
  Buffer.from("."),
]);

const cases: CliCase[] = [
  // The command line is wrong: exit 2, nothing loaded, nothing written.
  ...["0", "99999999999999999999", "1.5", "5abc", "1e3"].map(
    (take): CliCase => ({
      name: `search --take ${take}: exit 2`,
      args: ["search", "rent", "--take", take],
      exit: 2,
      error: /--take expects a whole number from 1 to 1000/,
    }),
  ),
  {
    name: "search --take=-5: exit 2",
    args: ["search", "rent", "--take=-5"],
    exit: 2,
    error: /--take expects a whole number from 1 to 1000, got '-5'/,
  },
  {
    name: "search --take -5: exit 2, saying how to pass a value that starts with '-'",
    args: ["search", "rent", "--take", "-5"],
    exit: 2,
    error: /option '--take' needs a value \(for one that starts with '-', write --take=<value>\)/,
  },
  {
    name: "search --mode sql: exit 2",
    args: ["search", "rent", "--mode", "sql"],
    exit: 2,
    error: /--mode must be one of hybrid, vector, text/,
  },
  {
    name: "search --model user (not one of ours): exit 2",
    args: ["search", "rent", "--model", "user"],
    exit: 2,
    error: usage("search"),
  },
  {
    name: "search --where '1=1' (an unknown option): exit 2",
    args: ["search", "rent", "--where", "1=1"],
    exit: 2,
    error: /unknown option '--where'/,
  },
  {
    name: "search with a query split in two by the shell: exit 2",
    args: ["search", "rent", "OR 1=1"],
    exit: 2,
    error: /unexpected argument 'OR 1=1'/,
  },
  {
    name: "ingest --chunk-size 0: exit 2",
    args: ["ingest", ".", "--chunk-size", "0"],
    exit: 2,
    error: /--chunk-size expects a whole number/,
  },
  {
    name: "ingest --batch-size 100000: exit 2",
    args: ["ingest", ".", "--batch-size", "100000"],
    exit: 2,
    error: /--batch-size expects a whole number from 1 to 10000/,
  },
  {
    name: "ingest --overlap larger than half the chunk: exit 2",
    args: ["ingest", ".", "--chunk-size", "100", "--overlap", "60"],
    exit: 2,
    error: /--overlap must be at most half of --chunk-size/,
  },
  {
    name: "ingest --label with --label-from-folder: exit 2",
    args: ["ingest", ".", "--label", "x", "--label-from-folder"],
    exit: 2,
    error: /either --label or --label-from-folder/,
  },
  { name: "db --port 70000: exit 2", args: ["db", "--port", "70000"], exit: 2, error: /--port expects a whole number/ },

  // Failed at run time: exit 1, one line, nothing written.
  {
    name: "search with an empty query: exit 1",
    args: ["search", "", "--mode", "text"],
    exit: 1,
    error: /query must not be empty or blank/,
  },
  {
    name: "search with a blank query: exit 1",
    args: ["search", " \t ", "--mode", "vector"],
    exit: 1,
    error: /query must not be empty or blank/,
  },
  {
    name: "search with a 20,000-word query: exit 1 (was a database 'stack depth limit exceeded')",
    args: ["search", "rent ".repeat(20_000), "--mode", "text"],
    exit: 1,
    error: /query has more than 1024 words/,
  },
  {
    name: "ingest a path that does not exist: exit 1",
    args: ["ingest", "/nonexistent/corpus"],
    exit: 1,
    error: /\/nonexistent\/corpus does not exist/,
  },
  {
    name: "ingest a file that is not text (.png): exit 1",
    args: () => ({ args: ["ingest", join(corpus({ "scan.png": "\x89PNG" }), "scan.png")] }),
    exit: 1,
    error: /scan\.png is not a text file/,
  },
  {
    name: "ingest a directory with a good file and a binary .txt: exit 1, the good file not written either",
    args: () => {
      const dir = corpus({
        "a-good.md": "Rent is due monthly.",
        "b-binary.txt": Buffer.from([0x50, 0x4b, 0x00, 0x03]),
      });
      return { args: ["ingest", ".", "--label", uniqueLabel("bad-cli-binary")], cwd: dir };
    },
    exit: 1,
    error: /b-binary\.txt looks like a binary file/,
  },
  {
    name: "a DATABASE_URL that is not PostgreSQL (injection in the URL): exit 1",
    args: ["search", "rent", "--mode", "text"],
    env: { DATABASE_URL: `mysql://root@localhost/db?x='; DROP TABLE "Document"; --` },
    exit: 1,
    error: /DATABASE_URL is not a PostgreSQL URL/,
  },

  // Data that only looks hostile: exit 0, searched or stored as exactly that.
  {
    name: "search with SQL as the query is data: exit 0",
    args: ["search", `rent'); DELETE FROM "Annotation"; --`, "--mode", "text", "--json"],
    exit: 0,
    check: (run) => {
      assert.ok(Array.isArray(json(run)));
      return undefined;
    },
  },
  {
    name: "search --label with SQL is data: exit 0, no row has that label",
    args: ["search", "rent", "--mode", "vector", "--label", HOSTILE, "--json"],
    exit: 0,
    check: (run) => {
      assert.deepEqual(json(run), []);
      return undefined;
    },
  },
  {
    name: "search --contains with LIKE wildcards and --document with SQL are data: exit 0, nothing matches",
    args: ["search", "rent", "--mode", "hybrid", "--contains", "%_%", "--document", `' OR '1'='1`, "--json"],
    exit: 0,
    check: (run) => {
      assert.deepEqual(json(run), []);
      return undefined;
    },
  },
  {
    name: "ingest a file named and labelled with SQL: exit 0, source and label stored exactly",
    args: () => {
      const dir = corpus({ [`${HOSTILE}.md`]: "# Lease\n\nRent is due on the first day of the month." });
      return { args: ["ingest", ".", "--label", labels.hostile], cwd: dir };
    },
    exit: 0,
    check: async (run) => {
      assert.match(run.stdout, /1 file\(s\): 1 new/);
      const docs = await documentsLabelled(labels.hostile);
      assert.deepEqual(
        docs.map((d) => [d.source, d.embedded, d.chunks]),
        [[`${HOSTILE}.md`, true, 1]],
      );
      return { table: "Document", ids: docs.map((d) => d.id) };
    },
  },
  {
    // 100 KB, not 1 MB: splitting a 1 MB text into sentences takes minutes (Intl.Segmenter is
    // superlinear on long strings, src/ingest/sentences.ts), which is reported, not timed, here.
    name: "ingest a 100 KB file: exit 0, stored exactly, every chunk embedded",
    args: () => ({ args: ["ingest", ".", "--label", labels.large], cwd: corpus({ "large.md": LARGE }) }),
    exit: 0,
    check: async () => {
      const docs = await documentsLabelled(labels.large);
      assert.equal(docs.length, 1);
      assert.ok(docs[0]!.content === LARGE, "the stored text is exactly the file");
      assert.ok(docs[0]!.chunks >= LARGE.length / 800, `${docs[0]!.chunks} chunks`);
      assert.equal(docs[0]!.embedded, true, "the document and every chunk have a vector");
      return { table: "Document", ids: docs.map((d) => d.id) };
    },
  },
  {
    name: "ingest a file with invalid UTF-8: exit 0, stored as any UTF-8 reader decodes it (U+FFFD for bad bytes)",
    args: () => ({ args: ["ingest", ".", "--label", labels.utf8], cwd: corpus({ "notes.txt": invalidUtf8 }) }),
    exit: 0,
    check: async () => {
      const docs = await documentsLabelled(labels.utf8);
      assert.equal(docs.length, 1);
      assert.equal(docs[0]!.content, invalidUtf8.toString("utf8"));
      assert.ok(docs[0]!.content.includes("\ufffd"));
      assert.equal(docs[0]!.embedded, true);
      return { table: "Document", ids: docs.map((d) => d.id) };
    },
  },
  {
    name: "ingest an empty file: exit 0, an empty document without chunks",
    args: () => ({ args: ["ingest", ".", "--label", labels.empty], cwd: corpus({ "empty.md": "" }) }),
    exit: 0,
    check: async () => {
      const docs = await documentsLabelled(labels.empty);
      assert.deepEqual(
        docs.map((d) => [d.source, d.content, d.chunks, d.embedded]),
        [["empty.md", "", 0, true]],
      );
      return { table: "Document", ids: docs.map((d) => d.id) };
    },
  },
];

describe("bad inputs through the CLI: exit code and one line, or exactly the data given; the database as it was", () => {
  runCases(cases.map(asBadInput));
});
