import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Runs a command to its end and resolves with its exit code. Async on purpose: an embedded
 * server living in the calling process must keep answering. `quiet` prints the child's stdout
 * only when it fails.
 */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, quiet = false): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", quiet ? "pipe" : "inherit", "inherit"] });
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("close", (code) => {
      if (code !== 0 && quiet) process.stdout.write(out);
      resolve(code ?? 1);
    });
  });
}

/** Runs a command to its end, keeping its stdout and stderr (interleaved) instead of printing them. */
export function capture(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (d: Buffer) => {
      output += d.toString();
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The `*.test.ts` files under `dir`, sorted; none when it does not exist. */
export function listTests(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".test.ts"))
      .map((f) => join(dir, f))
      .sort();
  } catch {
    return [];
  }
}
