// Prisma 7 with the legacy `prisma-client-js` generator (client imported from "@prisma/client").
import { runtimeSuite } from "./runtime-suite.ts";

runtimeSuite("prisma7-client-js");
