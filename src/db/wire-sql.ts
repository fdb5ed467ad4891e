/**
 * What the embedded server needs to know about a client's SQL text before handing it to the one
 * shared backend: which statements it must refuse, and whether the session state (settings,
 * advisory locks) may have changed. A scan, not a parser: string literals, quoted identifiers and
 * comments are blanked first so that `SELECT 'listen x'` is not taken for LISTEN.
 */

/**
 * The SQL lower-cased, with each literal and quoted identifier replaced by `x` and each comment
 * by a space, padded so that every offset still points at the same character of `sql`.
 */
export function blankLiterals(sql: string): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    let end = -1;
    if (c === "'" || c === '"') {
      end = i + 1;
      for (;;) {
        end = sql.indexOf(c, end);
        if (end === -1) break;
        if (sql[end + 1] === c) end += 2;
        else break;
      }
      end = end === -1 ? sql.length : end + 1;
    } else if (c === "-" && next === "-") {
      end = sql.indexOf("\n", i);
      end = end === -1 ? sql.length : end;
    } else if (c === "/" && next === "*") {
      end = sql.indexOf("*/", i + 2);
      end = end === -1 ? sql.length : end + 2;
    } else if (c === "$") {
      const tag = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(sql.slice(i, i + 64))?.[0];
      if (tag && !/^\$\d/.test(tag)) {
        const close = sql.indexOf(tag, i + tag.length);
        end = close === -1 ? sql.length : close + tag.length;
      }
    }
    if (end === -1) {
      out += c;
      i++;
    } else {
      out += (c === "-" || c === "/" ? " " : "x").padEnd(end - i, " ");
      i = end;
    }
  }
  return out.toLowerCase();
}

/** What the server does about a piece of SQL. */
export interface SqlTraits {
  /** A feature the shared backend cannot give each connection: the reason, for an error. */
  readonly refused: string | null;
  /** `COPY ... FROM STDIN`, alone in its message (served by the server itself). */
  readonly copyFromStdin: boolean;
  /** May change session settings (SET, RESET, DISCARD, set_config(..., false)). */
  readonly changesSettings: boolean;
  /** Takes or releases advisory locks. */
  readonly advisory: boolean;
}

const REFUSALS: readonly [RegExp, string][] = [
  [/^(create|declare)\b[^;]*?\b(temp|temporary)\s+(table|sequence|view)\b/, "temporary tables"],
  [/^create\s+(global\s+|local\s+)?(temp|temporary)\b/, "temporary tables"],
  [/^select\b[^;]*\binto\s+(temp|temporary)\b/, "temporary tables"],
  [/^(listen|unlisten)\b/, "LISTEN/UNLISTEN"],
  [/^(prepare|execute|deallocate)\b/, "SQL-level PREPARE/EXECUTE/DEALLOCATE (use protocol-level named statements)"],
  [/^declare\b[^;]*\bwith\s+hold\b/, "cursors WITH HOLD"],
  [
    /^discard\s+(all|plans)\b/,
    "DISCARD ALL/PLANS (they would drop other connections' prepared statements; use RESET ALL)",
  ],
  [/^copy\b[^;]*\bto\s+stdout\b[^;]*$/, ""],
  [/^copy\b[^;]*\bfrom\s+stdin\b/, "COPY FROM STDIN"],
];

/** Reads the statements of one Query or Parse message. */
export function sqlTraits(sql: string, extended: boolean): SqlTraits {
  const text = blankLiterals(sql);
  const statements = text
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  let refused: string | null = null;
  let copyFromStdin = false;
  for (const statement of statements) {
    for (const [pattern, feature] of REFUSALS) {
      if (!pattern.test(statement)) continue;
      if (feature === "COPY FROM STDIN" && !extended && statements.length === 1) copyFromStdin = true;
      else if (feature === "COPY FROM STDIN") refused ??= "COPY FROM STDIN inside a multi-statement or extended query";
      else if (feature !== "") refused ??= feature;
      break;
    }
  }
  const changesSettings =
    statements.some((s) => /^(set|reset|discard)\b/.test(s) && !/^set\s+(local|transaction)\b/.test(s)) ||
    /\bset_config\s*\(/.test(text.replace(/\bset_config\s*\([^()]*,\s*true\s*\)/g, ""));
  return { refused, copyFromStdin, changesSettings, advisory: /\bpg_(try_)?advisory_/.test(text) };
}

/** `COPY ... FROM STDIN ...` reading PGlite's in-memory blob device instead. */
export function copyFromBlob(sql: string): string {
  const match = /\bfrom\s+stdin\b/.exec(blankLiterals(sql));
  if (!match) return sql;
  const at = match.index + match[0].length - "stdin".length;
  return `${sql.slice(0, at)}'/dev/blob'${sql.slice(at + "stdin".length)}`;
}
