import { oneLine } from "./format.ts";

/** A column of {@link formatTable}: its header, and whether numbers line up on the right. */
export interface Column {
  readonly header: string;
  readonly align?: "left" | "right";
  /** The column that gets what is left of the width (long text); others keep their size. */
  readonly flexible?: boolean;
}

/**
 * A plain-text table that fits in `width` characters: every cell on one line, the flexible
 * column cut with `…` when needed.
 *
 * @example
 * ```ts
 * formatTable([{ header: "#" }, { header: "text", flexible: true }], [["1", "hello"]], 80);
 * ```
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], width = 100): string {
  const cells = rows.map((row) => columns.map((_, i) => oneLine(row[i] ?? "", 10_000)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const gap = 2;
  const flex = columns.findIndex((c) => c.flexible);
  if (flex >= 0) {
    const fixed = widths.reduce((sum, w, i) => (i === flex ? sum : sum + w), 0) + gap * (columns.length - 1);
    widths[flex] = Math.max(columns[flex]!.header.length, Math.min(widths[flex]!, width - fixed));
  }
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => {
        const text = oneLine(v, widths[i]!);
        const last = i === values.length - 1;
        if (columns[i]?.align === "right") return text.padStart(widths[i]!);
        return last ? text : text.padEnd(widths[i]!);
      })
      .join(" ".repeat(gap));
  const header = line(columns.map((c) => c.header));
  const rule = widths.map((w) => "-".repeat(w)).join(" ".repeat(gap));
  return [header, rule, ...cells.map(line)].join("\n");
}
