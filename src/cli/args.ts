import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./usage-error.ts";

type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

/** What a command accepts: its options (as node:util parseArgs takes them) and positionals. */
export interface ArgsSpec<O extends OptionSpecs> {
  readonly command: string;
  readonly options: O;
  /** Names of the positional arguments, for messages; `undefined` = none allowed. */
  readonly positionals?: { readonly name: string; readonly min: number; readonly max?: number };
}

const HELP = { help: { type: "boolean", short: "h" } } as const;

/** Parsed option values: booleans for boolean options, strings for the others. */
export type OptionValues<O> = {
  [K in keyof O]?: O[K] extends { type: "boolean" } ? boolean : string;
} & { help?: boolean };

/**
 * node:util parseArgs in strict mode, with its errors turned into one-line {@link UsageError}s
 * and `--help` added to every command.
 */
export function parseCommandArgs<O extends OptionSpecs>(
  spec: ArgsSpec<O>,
  argv: readonly string[],
): { values: OptionValues<O>; positionals: string[] } {
  const config = {
    args: [...argv],
    options: { ...spec.options, ...HELP },
    allowPositionals: true,
    strict: true,
  } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    throw new UsageError(describeParseError(error), spec.command);
  }
  const values = parsed.values as OptionValues<O>;
  const { positionals } = parsed;
  if (!values.help) {
    const p = spec.positionals;
    if (!p && positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, spec.command);
    if (p && positionals.length < p.min) throw new UsageError(`missing ${p.name}`, spec.command);
    if (p?.max !== undefined && positionals.length > p.max) {
      throw new UsageError(`unexpected argument '${positionals[p.max]}'`, spec.command);
    }
  }
  return { values, positionals };
}

function describeParseError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const quoted = /'(-[^']*)'/.exec(message ?? "")?.[1];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option '${quoted ?? "?"}'`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = optionName(message);
      if (/argument missing/.test(message ?? "")) return `option '${name}' needs a value`;
      // `--take -5`: parseArgs will not take a value that looks like an option.
      if (/ambiguous/.test(message ?? "")) {
        return `option '${name}' needs a value (for one that starts with '-', write ${name}=<value>)`;
      }
      return `option '${name}' does not take a value`;
    }
    default:
      return (message ?? String(error)).split("\n")[0] ?? "invalid arguments";
  }
}

function optionName(message: string | undefined): string {
  return /'(--[\w-]+)/.exec(message ?? "")?.[1] ?? /(--[\w-]+)/.exec(message ?? "")?.[1] ?? "?";
}

/** An integer option: undefined stays undefined, anything else must be a whole number in range. */
export function intOption(
  value: string | undefined,
  name: string,
  command: string,
  range: { min: number; max: number },
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw new UsageError(`--${name} expects a whole number from ${range.min} to ${range.max}, got '${value}'`, command);
  }
  return n;
}

/** A choice option: one of `choices`, or the default. */
export function choiceOption<C extends string>(
  value: string | undefined,
  name: string,
  command: string,
  choices: readonly C[],
  fallback: C,
): C {
  if (value === undefined) return fallback;
  if ((choices as readonly string[]).includes(value)) return value as C;
  throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got '${value}'`, command);
}
