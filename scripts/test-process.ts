import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
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

/**
 * CPU milliseconds of this process plus those of its children that have ended (utime, stime,
 * cutime and cstime of /proc/self/stat, in USER_HZ ticks: 100 a second on Linux); undefined
 * without /proc.
 */
function cpuNow(): number | undefined {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) * 10;
  } catch {
    return undefined;
  }
}

/**
 * Starts counting CPU time: `since()` is the CPU this process and the children it waited for
 * used meanwhile (a test file's process tree, and an embedded database in this process). Unlike
 * wall time it does not grow with the machine's load.
 */
export function cpuMs(): { since(): number | undefined } {
  const start = cpuNow();
  return {
    since: () => {
      const now = cpuNow();
      return start === undefined || now === undefined ? undefined : now - start;
    },
  };
}
