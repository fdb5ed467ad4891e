import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as runtime from "@prisma/client/runtime/client";
import { countSentChars, releaseDebugHistoryIfDue, TRIM_AFTER_CHARS } from "../../src/compat/prisma-debug-history.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

type Debug = (namespace: string) => (...args: unknown[]) => void;

/** The @prisma/debug that @prisma/adapter-pg uses, found the way the library finds it. */
async function adapterDebug(): Promise<{ Debug: Debug; getLogs: (chars?: number) => string }> {
  const require = createRequire(import.meta.url);
  const utils = createRequire(require.resolve("@prisma/adapter-pg")).resolve("@prisma/driver-adapter-utils");
  const path = createRequire(utils).resolve("@prisma/debug").replace(/\.js$/, ".mjs");
  return import(pathToFileURL(path).href);
}

/**
 * Logs a 1 MB object through `debug` as Prisma logs a query plan, drops every reference to it,
 * and tells whether a full GC frees it after `between` ran.
 */
async function freedAfter(debug: (...args: unknown[]) => void, between: () => Promise<void>): Promise<boolean> {
  let plan: { args: string[] } | undefined = { args: ["[0.5,0.25]".repeat(100_000)] };
  const ref = new WeakRef(plan);
  debug("query plan created", plan);
  plan = undefined;
  await between();
  // A WeakRef target stays alive until the end of the job that made it: let the job end first.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return ref.deref() === undefined;
}

const release = async () => {
  countSentChars(TRIM_AFTER_CHARS);
  await releaseDebugHistoryIfDue();
};

describe("Prisma's debug history", () => {
  it("keeps what the client runtime logged, until enough vector text was sent", async () => {
    const debug = (runtime.Debug as unknown as Debug)("prisma:client:clientEngine");
    assert.equal(await freedAfter(debug, async () => {}), false, "the runtime's history holds its arguments");
    countSentChars(TRIM_AFTER_CHARS - 1);
    assert.equal(await freedAfter(debug, releaseDebugHistoryIfDue), false, "not due below the threshold");
    assert.equal(await freedAfter(debug, release), true, "released once due");
  });

  it("releases what @prisma/adapter-pg logged (its @prisma/debug)", async () => {
    const { Debug, getLogs } = await adapterDebug();
    const debug = Debug("prisma:driver-adapter:pg");
    assert.equal(await freedAfter(debug, async () => {}), false, "the adapter's history holds its arguments");
    assert.equal(await freedAfter(debug, release), true);
    assert.doesNotMatch(getLogs(Number.MAX_SAFE_INTEGER), /query plan created/);
  });

  it("does nothing while the counter is below the threshold, and never throws", async () => {
    countSentChars(10);
    await releaseDebugHistoryIfDue();
    await release();
  });
});
