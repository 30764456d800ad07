// Where an interrupted upload or download remembers itself between runs: one JSON file per
// transfer in the user's state directory (XDG: $XDG_STATE_HOME/s3-presign, else
// ~/.local/state/s3-presign), named by a hash of the transfer's identity (the file's path,
// size and mtime, and the target), so the same command finds it again and a changed file
// does not.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function stateDirectory(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec: a relative value is invalid and is ignored.
  if (xdg && xdg.startsWith('/')) return join(xdg, 's3-presign');
  return join(env.HOME || homedir(), '.local', 'state', 's3-presign');
}

export class TransferState<Identity extends object, State extends object> {
  readonly path: string;

  constructor(
    directory: string,
    kind: 'upload' | 'download',
    private readonly identity: Identity,
  ) {
    const name = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
    this.path = join(directory, `${kind}-${name}.json`);
  }

  /** The state saved for this identity; undefined when there is none (or it is unreadable). */
  async read(): Promise<State | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const saved = JSON.parse(text) as { identity: unknown; state: State };
      return JSON.stringify(saved.identity) === JSON.stringify(this.identity) ? saved.state : undefined;
    } catch {
      return undefined;
    }
  }

  /** Written whole and renamed into place, so an interruption never leaves half a file. */
  async write(state: State): Promise<void> {
    await mkdir(join(this.path, '..'), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ identity: this.identity, state }, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.path);
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
