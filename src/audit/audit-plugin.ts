// Shares the service's one AuditTrail: the presign, upload and multipart routes record grants
// in it, the error handler records refusals. AUDIT_LOG=stdout writes each event into the
// request log's own stream (so its lines never interleave with the logger's, and a log level
// never hides them); a file path gets a stream of its own, reopened on SIGHUP for logrotate.
import { once } from 'node:events';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import pino from 'pino';
import { AuditTrail, type AuditDestination } from './audit-trail.js';

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditTrail;
  }
}

export interface AuditOptions {
  /** Where events go instead of AUDIT_LOG's choice (tests). */
  destination?: AuditDestination | undefined;
}

async function auditPlugin(app: FastifyInstance, options: AuditOptions): Promise<void> {
  const target = app.config.audit.destination;
  let destination = options.destination;
  if (destination === undefined && target.kind === 'file') {
    // Written line by line, as standard output is (app.ts): each event is in the kernel's hands
    // before its URL is answered. Opened now, so a path that cannot be written stops the start.
    const file = openAuditFile(target.path);
    const reopen = () => file.reopen();
    process.on('SIGHUP', reopen);
    app.addHook('onClose', async () => {
      process.off('SIGHUP', reopen);
      const closed = once(file, 'close');
      file.end();
      await closed;
    });
    destination = file;
  } else if (destination === undefined) {
    // A logger turned off (logger: false) has no stream: then no events either.
    destination = (app.log as unknown as Record<symbol, AuditDestination | undefined>)[pino.symbols.streamSym];
  }
  app.decorate('audit', new AuditTrail({ destination }));
}

/** AUDIT_LOG names a file the process cannot open for appending: a start-up problem, not a crash. */
export class AuditFileUnwritable extends Error {}

function openAuditFile(path: string): ReturnType<typeof pino.destination> {
  try {
    return pino.destination({ dest: path, append: true, mkdir: true, sync: true });
  } catch (error) {
    throw new AuditFileUnwritable(
      `AUDIT_LOG: cannot open ${path} for appending (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`,
    );
  }
}

export const auditProvider = fp(auditPlugin, { name: 'audit', fastify: '5.x', dependencies: ['app-context'] });
