/** A compiled statement: SQL text with `$n` placeholders, and their values in order. */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: readonly unknown[];
}
