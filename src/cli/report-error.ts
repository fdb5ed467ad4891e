import { UsageError } from "./usage-error.ts";

export const BIN = "prisma-hybrid-store";

/**
 * Prints an error as one line on stderr and returns the exit code: 2 for a wrong command line,
 * 1 for anything that failed at run time. PHS_DEBUG=1 adds the stack and causes. The library
 * loads only for a run-time error: a usage error stays as cheap as `--help`.
 */
export async function reportError(error: unknown, command: string | undefined): Promise<number> {
  const prefix = command ? `${BIN} ${command}` : BIN;
  if (error instanceof UsageError) {
    const helpFor = error.command ?? command;
    process.stderr.write(`${prefix}: ${error.message} (see '${BIN}${helpFor ? ` ${helpFor}` : ""} --help')\n`);
    return 2;
  }
  process.stderr.write(`${prefix}: ${(await describeError(error)).replace(/\s*\n\s*/g, " ")}\n`);
  if (process.env.PHS_DEBUG) process.stderr.write(`${debugDetails(error)}\n`);
  return 1;
}

/**
 * Our errors as they are; database errors mapped to what they mean; anything else is a bug
 * or an environment problem, said as such rather than dressed as a failed query.
 */
async function describeError(error: unknown): Promise<string> {
  const [{ HybridStoreError }, { toHybridStoreError }] = await Promise.all([
    import("../index.ts"),
    import("../tooling/index.ts"),
  ]);
  if (error instanceof HybridStoreError) return error.message;
  const { code } = (error ?? {}) as { code?: unknown };
  const fromDatabase =
    (typeof code === "string" && /^(P\d{4}|[0-9A-Z]{5}|E[A-Z]+)$/.test(code)) ||
    (error instanceof Error && /^PrismaClient|DriverAdapterError/.test(error.name));
  if (fromDatabase || !(error instanceof Error)) return toHybridStoreError(error).message;
  const line = error.message.split("\n")[0];
  return `Unexpected error: ${line}${process.env.PHS_DEBUG ? "" : " (run again with PHS_DEBUG=1 for details)"}`;
}

function debugDetails(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && depth < 5; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join("\ncaused by: ");
}
