/** The command line itself is wrong (unknown command or option, bad value). Exit code 2. */
export class UsageError extends Error {
  /** The command whose `--help` explains the right usage, if any. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}
