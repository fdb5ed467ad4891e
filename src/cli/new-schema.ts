import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { InvalidArgumentError } from "../index.ts";

/** The Prisma a project has installed, as far as `init` needs to know. */
export interface ProjectPrisma {
  /** 6 or 7: decides the generator and datasource settings. */
  readonly major: 6 | 7;
  readonly version: string;
  /** From the project's package.json: the generated client must match the module format. */
  readonly commonjs: boolean;
}

/**
 * The `prisma` (else `@prisma/client`) installed in the project at `dir`, and whether the
 * project is CommonJS.
 *
 * @throws InvalidArgumentError when the project has no Prisma, or one older than 6.16.
 */
export function projectPrisma(dir: string): ProjectPrisma {
  const require = createRequire(join(dir, "package.json"));
  let version: string | undefined;
  for (const name of ["prisma/package.json", "@prisma/client/package.json"]) {
    try {
      version = (require(name) as { version: string }).version;
      break;
    } catch {
      // not installed here: try the next
    }
  }
  if (version === undefined) {
    throw new InvalidArgumentError(
      "No Prisma schema and no Prisma installed in this project. Install it first " +
        "(npm install -D prisma && npm install @prisma/client @prisma/adapter-pg), then run init again.",
    );
  }
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < 6 || (major === 6 && minor < 16) || major > 7) {
    throw new InvalidArgumentError(`This project has Prisma ${version}; prisma-hybrid-store supports 6.16+ and 7.`);
  }
  const manifest = join(dir, "package.json");
  const type = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, "utf8")) as { type?: string }).type
    : undefined;
  return { major: major as 6 | 7, version, commonjs: type !== "module" };
}

/**
 * A new schema's generator and datasource, right for the project's Prisma: the engine-free
 * `prisma-client` generator into src/generated/prisma (Prisma 6 needs `engineType = "client"`
 * and a datasource `url`; Prisma 7 takes the URL from prisma.config.ts), CommonJS output for a
 * CommonJS project.
 */
export function newSchemaText(prisma: ProjectPrisma): string {
  const generator = [
    `  provider = "prisma-client"`,
    `  output   = "../src/generated/prisma"`,
    ...(prisma.commonjs ? [`  moduleFormat = "cjs"`] : []),
    ...(prisma.major === 6 ? [`  engineType = "client"`] : []),
  ];
  const datasource = [
    `  provider = "postgresql"`,
    prisma.major === 6 ? `  url      = env("DATABASE_URL")` : "  // the URL is in prisma.config.ts (Prisma 7)",
  ];
  return [
    `// Created by \`npx prisma-hybrid-store init\` for Prisma ${prisma.version}.`,
    "",
    "generator client {",
    ...generator,
    "}",
    "",
    "datasource db {",
    ...datasource,
    "}",
    "",
  ].join("\n");
}

/**
 * prisma.config.ts for a new schema. Prisma reads no .env once a config file exists, so it loads
 * one itself. Prisma 7 takes the datasource URL from here; Prisma 6 without any DATABASE_URL
 * falls back to its Rust query engine and downloads it even for \`prisma generate\`, so a
 * placeholder keeps \`generate\` engine-free (no database is contacted).
 */
export function prismaConfigText(major: 6 | 7, schemaPath: string): string {
  const lines = [
    'import { existsSync } from "node:fs";',
    'import { defineConfig } from "prisma/config";',
    "",
    "// Created by `npx prisma-hybrid-store init`. `prisma generate` needs no database: the URL below is",
    "// only a placeholder until you set DATABASE_URL (environment or .env).",
    'if (!process.env.DATABASE_URL && existsSync(".env")) process.loadEnvFile(".env");',
    'const url = process.env.DATABASE_URL ?? "postgresql://postgres@localhost:5432/postgres";',
    "",
  ];
  if (major === 6) {
    lines.push(
      "process.env.DATABASE_URL = url;",
      `export default defineConfig({ schema: ${JSON.stringify(schemaPath)} });`,
    );
  } else {
    lines.push(`export default defineConfig({ schema: ${JSON.stringify(schemaPath)}, datasource: { url } });`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * What an existing schema lacks for the project's Prisma 6: a generator without
 * `engineType = "client"` makes Prisma 6 look for (and download) its Rust query engine, and the
 * library runs on the engine-free client. One line per generator, empty when all is well.
 */
export function prisma6GeneratorWarnings(schemaTexts: readonly string[], prisma: ProjectPrisma): string[] {
  if (prisma.major !== 6) return [];
  const warnings: string[] = [];
  for (const text of schemaTexts) {
    for (const [, name, body] of text.matchAll(/^\s*generator\s+(\w+)\s*\{([^}]*)\}/gm)) {
      if (!/provider\s*=\s*"prisma-client(-js)?"/.test(body!)) continue;
      if (/engineType\s*=\s*"client"/.test(body!)) continue;
      warnings.push(
        `generator ${name} has no engineType = "client": on Prisma ${prisma.version} the client then needs the Rust ` +
          'query engine. Add engineType = "client" to it (see docs/prisma-versions.md).',
      );
    }
  }
  return warnings;
}
