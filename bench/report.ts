/**
 * Results: JSON in bench/results/<suite>-<target>.json, and markdown tables in the suite's page
 * docs/benchmarks/<suite>.md between `<!-- bench:<suite>:<target>:start -->` and `...:end -->`
 * markers, so a run on one target replaces only its own block and the other target's block stays.
 * docs/benchmarks.md is the hand-written summary; no run touches it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import type { TargetName } from "./target.ts";

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface SuiteResult {
  readonly suite: string;
  readonly target: TargetName;
  readonly description: string;
  readonly command: string;
  readonly params: Record<string, unknown>;
  readonly tables: Table[];
  readonly notes: string[];
  /** Chart files written into docs/, linked under the tables. */
  readonly charts?: string[];
  readonly data: unknown;
  /** Set by the runner for runs with `--rows`/`--quick`: they get their own block and JSON file. */
  readonly variant?: string;
  /** 1-minute load average when the suite started and ended (set by the runner). */
  readonly load?: readonly [number, number];
}

export const loadNow = (): number => loadavg()[0] ?? 0;

export const repoPath = (p: string): string => fileURLToPath(new URL(`../${p}`, import.meta.url));
/** Where a suite's page and its charts live; chart links in a page are relative to it. */
export const DOCS_DIR = "docs/benchmarks";
const suitePage = (suite: string): string => repoPath(`${DOCS_DIR}/${suite}.md`);

export const machine = (): string => {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
};

export function saveResult(result: SuiteResult): string {
  mkdirSync(repoPath("bench/results"), { recursive: true });
  const file = repoPath(
    `bench/results/${result.suite}-${result.target}${result.variant ? `-${result.variant}` : ""}.json`,
  );
  const full = { ...result, date: new Date().toISOString(), machine: machine() };
  writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
  updateDoc(result);
  return file;
}

export function printTables(result: SuiteResult, out: (s: string) => void): void {
  for (const t of result.tables) {
    out(`\n${t.title}`);
    const cells = [t.columns, ...t.rows].map((r) => r.map(String));
    const widths = t.columns.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
    for (const r of cells) out(`  ${r.map((v, c) => v.padEnd(widths[c]!)).join("  ")}`);
  }
  for (const n of result.notes) out(`note: ${n}`);
}

export function markdown(result: SuiteResult): string {
  const date = new Date().toISOString().slice(0, 10);
  const load = result.load
    ? `, load average ${result.load[0].toFixed(1)} at start / ${result.load[1].toFixed(1)} at end`
    : "";
  const lines = [`**${result.description}**, ${machine()}${load}, ${date}. Command: \`${result.command}\``, ""];
  for (const t of result.tables) {
    lines.push(`**${t.title}**`, "", `| ${t.columns.join(" | ")} |`, `|${t.columns.map(() => "---").join("|")}|`);
    for (const r of t.rows) lines.push(`| ${r.map((v) => String(v).replaceAll("|", "\\|")).join(" | ")} |`);
    lines.push("");
  }
  for (const n of result.notes) lines.push(`- ${n}`);
  if (result.notes.length) lines.push("");
  for (const c of result.charts ?? []) lines.push(`![${result.suite} on ${result.target}](${c})`, "");
  return lines.join("\n");
}

/**
 * Replaces the run's block. A run with non-default sizes (`variant`, e.g. "100000") has its own
 * block, placed after the default block of the same suite and target the first time.
 */
function updateDoc(result: SuiteResult): void {
  const key = (variant?: string) => `bench:${result.suite}:${result.target}${variant ? `:${variant}` : ""}`;
  const start = `<!-- ${key(result.variant)}:start -->`;
  const end = `<!-- ${key(result.variant)}:end -->`;
  const body = `${start}\n${markdown(result)}\n${end}`;
  const page = suitePage(result.suite);
  let doc = existsSync(page)
    ? readFileSync(page, "utf8")
    : `# Benchmarks: ${result.suite}\n\nPart of [Benchmarks](../benchmarks.md); how the data, the targets and the timings are made: [method](method.md).\n`;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  const after = `<!-- ${key()}:end -->`;
  if (a >= 0 && b > a) doc = doc.slice(0, a) + body + doc.slice(b + end.length);
  else if (result.variant && doc.includes(after)) doc = doc.replace(after, `${after}\n\n${body}`);
  else doc = `${doc.trimEnd()}\n\n## ${result.target}${result.variant ? ` (${result.variant})` : ""}\n\n${body}\n`;
  mkdirSync(repoPath(DOCS_DIR), { recursive: true });
  writeFileSync(page, doc);
}
