/** One `prisma-hybrid-store <name>` command. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/** Lines for people (notes, progress) go to stderr, so stdout carries only results. */
export const note = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Results (tables, JSON, summaries) go to stdout. */
export const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
