import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/**
 * Prisma's debug module keeps the arguments of its last 100 debug calls, for the logs it puts in
 * bug-report links, whether or not `DEBUG` is set (`argsHistory` in @prisma/debug, which
 * @prisma/adapter-pg uses, and a copy bundled in @prisma/client's runtime). Two of those calls
 * take a whole write: the runtime's `"query plan created"` (the compiled plan, every value
 * inline) and adapter-pg's `"[js::execute_raw] %O"` (the SQL and all its parameters). The
 * vectors this library adds make that 5-8 KB per row: 100 entries are the last ~25 `createMany`
 * calls, which with 1000 rows each kept 350 MiB alive in the ingest benchmark, and V8 let the
 * heap grow to 3x that before collecting.
 *
 * So the save hook, `$reembed` and the LlamaIndex store count the vectors and texts they send,
 * and once that passes {@link TRIM_AFTER_CHARS} the next write through them first empties those
 * histories: `clearLogs()` for @prisma/debug, 100 short entries for the runtime's copy, which
 * exports no way to clear it. Prisma's behaviour is unchanged; only a panic report made
 * afterwards would list fewer earlier debug calls. Best effort: copies of these modules this package cannot
 * resolve (a bundled app, a second install) keep their history, and nothing fails because of it.
 */
export const TRIM_AFTER_CHARS = 1_000_000;

/** @prisma/debug's MAX_ARGS_HISTORY. */
const HISTORY_LENGTH = 100;
const NAMESPACE = "prisma-hybrid-store:trim";
const FILLER = "(earlier debug arguments released by prisma-hybrid-store)";

type DebugCall = (...args: unknown[]) => void;
type DebugFactory = ((namespace: string) => DebugCall) & { enabled?: (namespace: string) => boolean };
interface DebugModule {
  readonly Debug?: DebugFactory;
  readonly clearLogs?: () => void;
}

let sentChars = 0;
let esmModules: Promise<DebugModule[]> | undefined;
const fillers = new WeakMap<DebugFactory, DebugCall>();
const nodeRequire = createRequire(import.meta.url);

/** Records vector text (and the text it embeds) about to be sent in a write. */
export function countSentChars(chars: number): void {
  sentChars += chars;
}

/** Empties Prisma's debug histories if enough went out since the last time. */
export async function releaseDebugHistoryIfDue(): Promise<void> {
  if (sentChars < TRIM_AFTER_CHARS) return;
  sentChars = 0;
  try {
    esmModules ??= loadEsmModules();
    for (const module of [...loadedCjsModules(), ...(await esmModules)]) release(module);
  } catch {
    // Diagnostics only: never let this fail a write.
  }
}

function release(module: DebugModule): void {
  if (typeof module.clearLogs === "function") {
    module.clearLogs();
    return;
  }
  const Debug = module.Debug;
  if (typeof Debug !== "function") return;
  // Someone is reading Prisma's debug output: our entries would be printed. Leave it alone.
  if (Debug.enabled?.(NAMESPACE)) return;
  let debug = fillers.get(Debug);
  if (!debug) {
    debug = Debug(NAMESPACE);
    fillers.set(Debug, debug);
  }
  for (let i = 0; i < HISTORY_LENGTH; i++) debug(FILLER);
}

const CJS_FILES = [
  /[\\/]@prisma[\\/]client[\\/]runtime[\\/](client|library)\.js$/,
  /[\\/]@prisma[\\/]debug[\\/]dist[\\/]index\.js$/,
];

/** CommonJS copies already loaded (never loads one). */
function loadedCjsModules(): DebugModule[] {
  return Object.entries(nodeRequire.cache)
    .filter(([path, module]) => module?.loaded && CJS_FILES.some((pattern) => pattern.test(path)))
    .map(([, module]) => module!.exports as DebugModule);
}

/**
 * The ES module copies: the client runtime (only when no CommonJS runtime is loaded: then that
 * one is the client's, and importing the other would load a second runtime for nothing), and
 * the @prisma/debug that @prisma/adapter-pg imports (a few KB if not loaded yet).
 */
async function loadEsmModules(): Promise<DebugModule[]> {
  const urls: string[] = [];
  const cjsRuntimeLoaded = Object.keys(nodeRequire.cache).some((path) => CJS_FILES[0]!.test(path));
  if (!cjsRuntimeLoaded) urls.push(...optional(() => esmTwin(nodeRequire.resolve("@prisma/client/runtime/client"))));
  urls.push(
    ...optional(() => {
      const utils = createRequire(nodeRequire.resolve("@prisma/adapter-pg")).resolve("@prisma/driver-adapter-utils");
      return esmTwin(createRequire(utils).resolve("@prisma/debug"));
    }),
  );
  const modules = await Promise.all(urls.map((url) => import(url).catch(() => undefined)));
  return modules.filter((m): m is DebugModule => typeof m === "object" && m !== null);
}

/** The `.mjs` file next to a resolved CommonJS `.js` (resolved with `require`, so this file also builds as CommonJS). */
function esmTwin(cjsPath: string): string | undefined {
  const mjs = cjsPath.replace(/\.js$/, ".mjs");
  return existsSync(mjs) ? pathToFileURL(mjs).href : undefined;
}

function optional(resolve: () => string | undefined): string[] {
  try {
    const url = resolve();
    return url ? [url] : [];
  } catch {
    return [];
  }
}
