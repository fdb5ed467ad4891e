/**
 * Quotes an identifier for PostgreSQL. Only names taken from the Prisma schema reach this:
 * user input never names a column.
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A model's table, schema-qualified when the client's adapter names a schema: `"tenant"."Document"`. */
export function quoteTable(model: { readonly table: string; readonly schema?: string | undefined }): string {
  return model.schema === undefined
    ? quoteIdent(model.table)
    : `${quoteIdent(model.schema)}.${quoteIdent(model.table)}`;
}

/** `"table"."column"` */
export function qualified(table: string, column: string): string {
  return `${quoteIdent(table)}.${quoteIdent(column)}`;
}
