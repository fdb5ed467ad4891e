// Prisma 6.19 with the classic `prisma-client-js` generator (client imported from "@prisma/client").
import { runtimeSuite } from "./runtime-suite.ts";

runtimeSuite("prisma-client-js");
