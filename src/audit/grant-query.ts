// The grant id in the query of an S3 request the AWS SDK builds: a presigned URL (the SDK
// engine) or one of the service's own calls (create, complete, abort a multipart upload), so
// S3's access log names the grant for those too. No command input member carries a query
// parameter of one's own: a build-step middleware adds it before signing, so it is in the
// canonical query (signed) and in the URL, sorted like any other parameter.
import { GRANT_PARAMETER } from './grant-id.js';

/** What of a command's middleware stack adding the grant needs, whatever the command's types. */
interface BuildStack {
  add(
    middleware: (next: (args: { request: unknown }) => unknown) => (args: { request: unknown }) => unknown,
    options: { step: 'build'; name: string },
  ): void;
}

/** The command, with `x-s3p-grant=<grant>` added to its query when a grant is given. */
export function withGrant<C extends { middlewareStack: object }>(command: C, grant: string | undefined): C {
  if (grant === undefined) return command;
  (command.middlewareStack as BuildStack).add(
    (next) => (args) => {
      (args.request as { query: Record<string, string> }).query[GRANT_PARAMETER] = grant;
      return next(args);
    },
    { step: 'build', name: 'grantQueryParameter' },
  );
  return command;
}
