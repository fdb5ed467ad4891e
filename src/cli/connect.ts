import {
  checkDatabase,
  MigrationsPendingError,
  type MiniLmEmbedder,
  type RawClient,
  SchemaMismatchError,
} from "../index.ts";
import { connectionFailure } from "../tooling/index.ts";
import { type DatabaseTarget, openDatabase } from "./local-database.ts";
import { BIN } from "./report-error.ts";
import { createStoreClient, type StoreClient } from "./store-client.ts";

/** A connected, checked store: the extended client and the database behind it. */
export interface Store {
  readonly prisma: StoreClient;
  readonly database: DatabaseTarget;
  close(): Promise<void>;
}

/**
 * Opens the command's database (DATABASE_URL, or the embedded one), connects the extended
 * client and checks that the server answers, has pgvector and is migrated, so a wrong URL or a
 * missing `migrate` is one clear message before any work starts.
 */
export async function connectStore(options: {
  dataDir?: string | undefined;
  embedder: MiniLmEmbedder;
  announce: (line: string) => void;
}): Promise<Store> {
  const database = await openDatabase({ dataDir: options.dataDir });
  if (database.description !== "DATABASE_URL") options.announce(`Using ${database.description}.`);
  const prisma = createStoreClient(database.url, options.embedder);
  const close = async () => {
    await settledWithin(prisma.$disconnect(), DISCONNECT_WAIT_MS);
    await database.release();
  };
  try {
    await checkDatabase(prisma as unknown as RawClient);
  } catch (error) {
    await close().catch(() => undefined);
    if (error instanceof MigrationsPendingError) {
      throw new SchemaMismatchError(
        `The database is not migrated for prisma-hybrid-store (missing ${error.missing.slice(0, 3).join(", ")}` +
          `${error.missing.length > 3 ? ", ..." : ""}). Run \`npx ${BIN} migrate\` first.`,
      );
    }
    throw connectionFailure(error) ?? error;
  }
  return { prisma, database, close };
}

/**
 * After the server went away mid-command, adapter-pg's pool never settles `$disconnect()`
 * (Prisma 6.19): awaited as is, Node found nothing left to run and exited 13 before the command
 * could say why. The wait is bounded so the error is still reported (exit 1).
 */
const DISCONNECT_WAIT_MS = 3_000;

async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise.then(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
