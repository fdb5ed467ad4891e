#!/usr/bin/env node
import { runCli } from "./run-cli.ts";

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Everything is closed by now; should a library still hold the event loop (a model's thread
// pool, a pool timer), do not let it keep a finished command alive.
setTimeout(() => process.exit(code), 1000).unref();
