// The upload ID of a route that reads a body is checked first, in preParsing: a made-up or
// another caller's ID is refused before a byte of the body is read or parsed. Query and path
// parameters are there already (the schema checks them later); where they are missing or not
// strings, the schema's own refusal follows, still before any handler parses the body.
import type { FastifyRequest, preParsingHookHandler } from 'fastify';

export function uploadCheckedBeforeBody(
  uploadOf: (request: FastifyRequest) => { key?: unknown; uploadId?: unknown },
): preParsingHookHandler {
  return function checkUploadBeforeBody(request, _reply, payload, done) {
    const { key, uploadId } = uploadOf(request);
    if (typeof key === 'string' && typeof uploadId === 'string') {
      try {
        this.multipart.checkUpload(request.caller, { key, uploadId });
      } catch (error) {
        done(error as Error);
        return;
      }
    }
    done(null, payload);
  };
}
