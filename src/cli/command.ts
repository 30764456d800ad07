// What every command is given and returns. Commands read their environment, write their
// output and learn of Ctrl-C through `CliIo` only, so a test runs them in-process with
// captured streams; src/cli.ts hands them the process's own.
import { formatConfigProblems } from '../config/config.js';

/** stdout or stderr: a terminal (isTTY) gets progress rewritten in place. */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  /** The variables the commands read (the SDK reads its own, such as AWS_ENDPOINT_URL_STS, from the process). */
  env: Readonly<Record<string, string | undefined>>;
  stdout: Output;
  stderr: Output;
  /** Calls the listener on Ctrl-C until the returned function is called; absent, nothing interrupts. */
  onInterrupt?: (listener: () => void) => () => void;
}

export interface Command {
  /** One line for the usage's command list. */
  summary: string;
  /** `s3-presign COMMAND --help`: its usage, flags and one example. */
  help: string;
  /** The exit code; a UsageError thrown is exit 2, an AppError exit 1. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** The caller's mistake in flags or input: printed without a stack, exit 2. */
export class UsageError extends Error {}

/** The configuration's problems, one per line; each may quote a flag or variable as given. */
export class ConfigUsageError extends UsageError {
  constructor(readonly problems: readonly string[]) {
    super(formatConfigProblems(problems));
  }
}

export function wholeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  return Number(value);
}

/** Ctrl-C aborts the signal (a clean stop); what a second Ctrl-C does is the caller's (src/cli.ts ends the process). */
export function interruptSignal(io: CliIo): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const dispose = io.onInterrupt?.(() => controller.abort(new Error('interrupted'))) ?? (() => {});
  return { signal: controller.signal, dispose };
}
