// Prisma 7 with the `prisma-client` generator: what `npm i prisma @prisma/client` installs today.
import { runtimeSuite } from "./runtime-suite.ts";

runtimeSuite("prisma7");
