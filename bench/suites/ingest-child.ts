/** Runs bench/suites/ingest-memory.ts in its own process and reads its JSON line. */
import { spawn } from "node:child_process";
import { repoPath } from "../report.ts";

/** `library`: the extended client; `prisma`: the plain client, the caller embedding itself. */
export type MemoryMode = "library" | "prisma";

export interface MemoryRun {
  readonly mode: MemoryMode;
  readonly rows: number;
  readonly seconds: number;
  readonly startRssMiB: number;
  readonly peakRssMiB: number;
  readonly peakHeapMiB: number;
  readonly heapAtStartMiB: number;
  readonly heapAfterGcMiB: number;
  /** RSS after each chunk, to tell growth from a one-off peak. */
  readonly rssByChunkMiB: number[];
}

/** Async: with PGlite the database is served by this process and must keep answering. */
export function runMemoryChild(url: string, rows: number, chunk: number, mode: MemoryMode): Promise<MemoryRun> {
  const args = [
    "--expose-gc",
    "--import",
    "tsx",
    repoPath("bench/suites/ingest-memory.ts"),
    url,
    String(rows),
    String(chunk),
    mode,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("close", (code) => {
      const last = out.trim().split("\n").pop() ?? "";
      if (code === 0) resolve(JSON.parse(last) as MemoryRun);
      else reject(new Error(`memory child exited with ${code}: ${out}`));
    });
  });
}
