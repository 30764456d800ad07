// Progress on stderr: one line rewritten in place on a terminal; with --progress elsewhere, a
// line per event (a pipe or a log file cannot take carriage returns); otherwise nothing.
import type { Output } from './command.js';

export interface Progress {
  /** A new stage or an event worth a line of its own (a part stored, a resume). */
  line(text: string): void;
  /** The running count; a terminal shows it in place, a log skips it. */
  bytes(done: number, total: number, detail: string): void;
  /** A stage with no bytes to count (S3 assembling the parts): the seconds it has taken so far. */
  waiting(text: string): { stop(): void };
  /** Ends the in-place line before other output. */
  end(): void;
}

export function progressOn(stream: Output, asked: boolean | undefined): Progress {
  if (stream.isTTY) return terminalProgress(stream);
  if (asked) return lineProgress(stream);
  return { line() {}, bytes() {}, waiting: () => ({ stop() {} }), end() {} };
}

export function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

const percent = (done: number, total: number) => (total === 0 ? 100 : Math.floor((done / total) * 100));

function terminalProgress(stream: Output): Progress {
  let open = false;
  const show = (text: string) => {
    stream.write(`\r\x1b[K${text}`);
    open = true;
  };
  const end = () => {
    if (open) stream.write('\n');
    open = false;
  };
  return {
    line: (text) => {
      end();
      stream.write(`${text}\n`);
    },
    bytes: (done, total, detail) =>
      show(`${formatMiB(done)} of ${formatMiB(total)} (${percent(done, total)}%), ${detail}`),
    waiting: (text) => {
      const started = Date.now();
      show(`${text}…`);
      const timer = setInterval(() => show(`${text}… ${Math.round((Date.now() - started) / 1000)} s`), 1000);
      return {
        stop: () => {
          clearInterval(timer);
          end();
        },
      };
    },
    end,
  };
}

function lineProgress(stream: Output): Progress {
  return {
    line: (text) => stream.write(`${text}\n`),
    bytes: () => {},
    waiting: (text) => {
      const started = Date.now();
      stream.write(`${text}…\n`);
      return { stop: () => stream.write(`${text}: done in ${Math.round((Date.now() - started) / 1000)} s\n`) };
    },
    end: () => {},
  };
}
