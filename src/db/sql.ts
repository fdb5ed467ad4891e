/**
 * Quotes an identifier for PostgreSQL. Only names taken from the Prisma schema reach this:
 * user input never names a column.
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"table"."column"` */
export function qualified(table: string, column: string): string {
  return `${quoteIdent(table)}.${quoteIdent(column)}`;
}

/** pgvector's text form, `[1,2,3]`; bound as a parameter and cast with `::vector`. */
export function vectorToSql(vector: readonly number[]): string {
  return `[${vector.join(",")}]`;
}
