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
    const file = pino.destination({ dest: target.path, append: true, mkdir: true, sync: false });
    // It opens asynchronously; false when it could not (nothing to end then).
    const opened = once(file, 'ready').then(
      () => true,
      () => false,
    );
    const reopen = () => file.reopen();
    process.on('SIGHUP', reopen);
    app.addHook('onClose', async () => {
      process.off('SIGHUP', reopen);
      await closeWhenWritten(file, opened);
    });
    destination = file;
  } else if (destination === undefined) {
    // A logger turned off (logger: false) has no stream: then no events either.
    destination = (app.log as unknown as Record<symbol, AuditDestination | undefined>)[pino.symbols.streamSym];
  }
  app.decorate('audit', new AuditTrail({ destination }));
}

/**
 * Ends the file once every event is on disk. The file opens asynchronously: an app closed
 * before it is open waits for it (flushSync would throw "not ready", and a close hook that
 * throws never lets the close finish).
 */
async function closeWhenWritten(file: ReturnType<typeof pino.destination>, opened: Promise<boolean>): Promise<void> {
  if (!(await opened)) return;
  const closed = once(file, 'close');
  file.end();
  await closed;
}

export const auditProvider = fp(auditPlugin, { name: 'audit', fastify: '5.x', dependencies: ['app-context'] });
