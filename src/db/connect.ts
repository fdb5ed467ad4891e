import { DatabaseUnavailableError } from "../errors.ts";
import { errorChain } from "./error-chain.ts";

/** What went wrong while connecting, read from Prisma's, the driver adapter's or pg's error. */
interface ConnectionProblem {
  readonly kind:
    | "DatabaseNotReachable"
    | "DatabaseDoesNotExist"
    | "AuthenticationFailed"
    | "DatabaseAccessDenied"
    | "TlsConnectionError"
    | "TooManyConnections"
    | "ConnectionClosed"
    | "SocketTimeout";
  readonly host?: string;
  readonly port?: number;
  readonly name?: string;
  readonly detail?: string;
}

/**
 * Turns a failed connection into a {@link DatabaseUnavailableError} whose message says what to do,
 * or returns undefined when `cause` is not about connecting (a failed query, a constraint...).
 *
 * Understands Prisma's errors (P1000-P1017, and P2010 wrapping the driver adapter's
 * `{ kind: "DatabaseNotReachable", host, port }`), and plain `pg` errors.
 *
 * @example
 * ```ts
 * try { await prisma.$queryRaw`select 1`; }
 * catch (err) { throw connectionFailure(err) ?? err; }
 * ```
 */
export function connectionFailure(cause: unknown): DatabaseUnavailableError | undefined {
  const problem = findProblem(cause);
  return problem && new DatabaseUnavailableError(explain(problem), { cause });
}

function explain(p: ConnectionProblem): string {
  const at = p.host ? ` at ${p.host}${p.port ? `:${p.port}` : ""}` : "";
  switch (p.kind) {
    case "DatabaseNotReachable":
      return (
        `Cannot reach the database server${at}. Start it (for the embedded one: \`npx prisma-hybrid-store db\`), ` +
        "or fix the host and port in DATABASE_URL."
      );
    case "SocketTimeout":
      return `Timed out talking to the database server${at}. Check that it is running and reachable from here (host, port, firewall).`;
    case "ConnectionClosed":
      return "The database server closed the connection (it may have stopped or restarted). Check that it is running, then retry.";
    case "DatabaseDoesNotExist": {
      const db = p.name ? `"${p.name}"` : "named in DATABASE_URL";
      return `The database ${db} does not exist on the server. Create it (\`createdb ${p.name ?? "<name>"}\`) or fix the database name in DATABASE_URL.`;
    }
    case "AuthenticationFailed":
    case "DatabaseAccessDenied":
      return (
        `The server refused the login${p.name ? ` (${p.name})` : ""}. Check the user name and password in DATABASE_URL, ` +
        "and that the server's pg_hba.conf lets this user connect."
      );
    case "TlsConnectionError":
      return (
        `The TLS connection failed${p.detail ? ` (${p.detail})` : ""}. For a local server add \`?sslmode=disable\` ` +
        "to DATABASE_URL; otherwise fix the certificate settings."
      );
    case "TooManyConnections":
      return (
        "The database server has no free connections. Give the client pool fewer connections " +
        "(`new PrismaPg({ connectionString, max })`) or raise max_connections on the server."
      );
  }
}

const PRISMA_CODES: Record<string, ConnectionProblem["kind"]> = {
  P1000: "AuthenticationFailed",
  P1001: "DatabaseNotReachable",
  P1002: "SocketTimeout",
  P1003: "DatabaseDoesNotExist",
  P1008: "SocketTimeout",
  P1010: "DatabaseAccessDenied",
  P1011: "TlsConnectionError",
  P1017: "ConnectionClosed",
};

const PG_CODES: Record<string, ConnectionProblem["kind"]> = {
  ECONNREFUSED: "DatabaseNotReachable",
  ENOTFOUND: "DatabaseNotReachable",
  EHOSTUNREACH: "DatabaseNotReachable",
  ECONNRESET: "ConnectionClosed",
  ETIMEDOUT: "SocketTimeout",
  "3D000": "DatabaseDoesNotExist",
  "28P01": "AuthenticationFailed",
  "28000": "DatabaseAccessDenied",
  "53300": "TooManyConnections",
  "57P01": "ConnectionClosed",
  "57P03": "DatabaseNotReachable",
};

const KINDS = new Set<string>(Object.values(PRISMA_CODES).concat(Object.values(PG_CODES)));

/** The first connection problem in the error's chain (see {@link errorChain}); a Prisma code only as a fallback. */
function findProblem(error: unknown): ConnectionProblem | undefined {
  let fallback: ConnectionProblem | undefined;
  for (const o of errorChain(error)) {
    const text = (key: string) => (typeof o[key] === "string" ? (o[key] as string) : undefined);
    const kind = text("kind");
    if (kind && KINDS.has(kind)) {
      return {
        kind: kind as ConnectionProblem["kind"],
        host: text("host"),
        port: typeof o.port === "number" ? o.port : undefined,
        name: text("db") ?? text("user"),
        detail: text("reason") ?? text("cause"),
      };
    }
    const code = text("code");
    const pg = code ? PG_CODES[code] : undefined;
    if (pg) {
      return {
        kind: pg,
        host: text("address") ?? text("hostname"),
        port: typeof o.port === "number" ? o.port : undefined,
      };
    }
    // pg's own errors for a socket that died under a client carry no code.
    if (/Connection terminated|connection error and is not queryable/i.test(text("message") ?? "")) {
      return { kind: "ConnectionClosed" };
    }
    const prisma = code ? PRISMA_CODES[code] : undefined;
    if (prisma && !fallback) fallback = { kind: prisma };
  }
  return fallback;
}
