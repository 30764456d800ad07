// s3-presign: mint or verify presigned URLs from a shell, with the service's own
// configuration rules and validator. Flags override the environment. One file per command;
// a new command is its file and one entry in COMMANDS.
import { formatConfigProblems } from '../config/config.js';
import { escapeControlCharacters as shown } from '../control-characters.js';
import { isAppError } from '../errors.js';
import { audit } from './audit.js';
import { ConfigUsageError, UsageError, type CliIo, type Command } from './command.js';
import { doctor } from './doctor.js';
import { keygen } from './keygen.js';
import { policy } from './policy.js';
import { upload } from './upload.js';
import { url } from './url.js';
import { verify } from './verify.js';

/** In the order the usage lists them. */
export const COMMANDS: Readonly<Record<string, Command>> = { url, upload, verify, doctor, policy, keygen, audit };

export type { CliIo };

function commandNamed(name: string | undefined): Command | undefined {
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

export const USAGE = `Usage: s3-presign COMMAND [flags]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  .join('\n')}

Run "s3-presign COMMAND --help" for a command's flags and an example.
Flags override the environment variables of the service (S3_ENDPOINT_MODE, S3_REGION, …).
AWS credentials come from the AWS SDK's default provider chain; in local mode only from
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the key pair \`npm start\` printed.`;

/** `--help` or `-h` among a command's flags (before a `--` that ends them). */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** Runs one command line; resolves to the exit code. Usage mistakes exit 2, failed checks 1. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  const command = commandNamed(name);
  try {
    if (command) {
      if (asksForHelp(args)) {
        io.stdout.write(`${command.help}\n`);
        return 0;
      }
      return await command.run(args, io);
    }
    if (name === 'help') {
      const asked = commandNamed(args[0]);
      io.stdout.write(`${asked ? asked.help : USAGE}\n`);
      return 0;
    }
    if (name === undefined || name === '--help' || name === '-h') {
      (name === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
      return name === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${name}"`);
  } catch (error) {
    if (error instanceof UsageError || isAppError(error)) {
      const text =
        error instanceof ConfigUsageError ? formatConfigProblems(error.problems.map(shown)) : shown(error.message);
      io.stderr.write(`s3-presign: ${text}\n`);
      return error instanceof UsageError ? 2 : 1;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      const hint = command ? `Run "s3-presign ${name} --help" for its flags.` : USAGE;
      io.stderr.write(`s3-presign: ${shown(error.message)}\n${hint}\n`);
      return 2;
    }
    throw error;
  }
}
