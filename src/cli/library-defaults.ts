/**
 * Library defaults that the commands' help texts show, written out: importing them from the
 * package entry would load Prisma, PGlite and zod for `--help` and usage errors, which should
 * cost a process start and no more. test/unit/cli-lazy-load.test.ts keeps them equal to the
 * library's.
 */
export const DEFAULT_DATA_DIR = ".prisma-hybrid-store/pgdata";
export const DEFAULT_CHUNK_OPTIONS = { maxChars: 800, overlap: 100 } as const;
