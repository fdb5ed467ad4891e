/**
 * PostgreSQL wire protocol (v3) framing for the embedded server: reading frontend messages,
 * and the few backend messages the server writes itself (errors, copy, ready-for-query).
 */

export const PROTOCOL_V3 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
/** PostgreSQL's own limit on a frontend message (PQ_LARGE_MESSAGE_LIMIT is 1 GB). */
export const MAX_MESSAGE_LENGTH = 0x3fffffff;

/** Frontend message types after start-up that the server accepts (anything else is 08P01). */
export const FRONTEND_TYPES = new Set("QPBDECHSXFdcf".split("").map((c) => c.charCodeAt(0)));

/** A frontend message with a type byte, split off the input buffer. */
export interface FrontendMessage {
  readonly type: number;
  /** The whole message, type byte and length included. */
  readonly bytes: Buffer;
}

const encoder = new TextEncoder();

function backend(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.write(type, 0, "latin1");
  out.writeInt32BE(4 + body.length, 1);
  out.set(body, 5);
  return out;
}

/** ErrorResponse with severity, SQLSTATE, message (and hint), as PostgreSQL formats it. */
export function errorResponse(severity: "ERROR" | "FATAL", code: string, message: string, hint?: string): Buffer {
  const fields = [`S${severity}`, `V${severity}`, `C${code}`, `M${message}`, ...(hint ? [`H${hint}`] : [])];
  return backend("E", encoder.encode(`${fields.join("\0")}\0\0`));
}

export const readyForQuery = (status: TransactionStatus): Buffer => backend("Z", encoder.encode(status));
export const commandComplete = (tag: string): Buffer => backend("C", encoder.encode(`${tag}\0`));
/** CopyInResponse: text format, no per-column formats (clients read only the overall format). */
export const copyInResponse = (): Buffer => backend("G", Uint8Array.of(0, 0, 0));

/** 'I' idle, 'T' in a transaction, 'E' in a failed transaction. */
export type TransactionStatus = "I" | "T" | "E";

/** A C string at `offset` of a message: its text and the offset after its terminator. */
export function cString(bytes: Buffer, offset: number): { text: string; end: number } {
  const nul = bytes.indexOf(0, offset);
  const stop = nul === -1 ? bytes.length : nul;
  return { text: bytes.toString("utf8", offset, stop), end: stop + 1 };
}

/** Builds a frontend-style message (type, length, body). */
export function frame(type: number, body: Buffer): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out[0] = type;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

export const cstr = (text: string): Buffer => Buffer.from(`${text}\0`);

/** Simple Query message. */
export const queryMessage = (sql: string): Buffer => frame(0x51, cstr(sql));

/** Start-up parameters (user, database, options, GUCs) of a StartupMessage body. */
export function startupParameters(message: Buffer): Map<string, string> {
  const params = new Map<string, string>();
  let at = 8;
  while (at < message.length && message[at] !== 0) {
    const key = cString(message, at);
    const value = cString(message, key.end);
    params.set(key.text, value.text);
    at = value.end;
  }
  return params;
}

/**
 * The settings a start-up packet asks for: `options` (`-c name=value`, `--name=value`) and any
 * other parameter that is not part of the protocol, as PostgreSQL applies them at connection.
 */
export function startupSettings(params: ReadonlyMap<string, string>): Map<string, string> {
  const settings = new Map<string, string>();
  for (const [key, value] of params) {
    if (key === "options") continue;
    if (["user", "database", "replication", "client_encoding"].includes(key) || key.startsWith("_pq_")) continue;
    settings.set(key, value);
  }
  const words = splitOptions(params.get("options") ?? "");
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const pair =
      word === "-c"
        ? words[++i]
        : word.startsWith("--")
          ? word.slice(2)
          : word.startsWith("-c")
            ? word.slice(2)
            : undefined;
    if (!pair) continue;
    const eq = pair.indexOf("=");
    if (eq > 0) settings.set(pair.slice(0, eq).replaceAll("-", "_"), pair.slice(eq + 1));
  }
  return settings;
}

/** `options` words: separated by spaces, a backslash escapes the next character. */
function splitOptions(options: string): string[] {
  const words: string[] = [];
  let word = "";
  for (let i = 0; i < options.length; i++) {
    const c = options[i] as string;
    if (c === "\\" && i + 1 < options.length) word += options[++i];
    else if (c === " " || c === "\t") {
      if (word) words.push(word);
      word = "";
    } else word += c;
  }
  if (word) words.push(word);
  return words;
}
