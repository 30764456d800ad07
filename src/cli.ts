#!/usr/bin/env node
// The `s3-presign` process: src/cli/main.ts with this process's environment, streams and
// Ctrl-C. Everything else is in src/cli/.
import { main } from './cli/main.js';

// The SDK warns on every run that releases after January 2027 need Node 22; the versions are
// pinned and docs/runtime.md says so, so the CLI's output stays clean. The SDK reads it here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  // The first Ctrl-C stops the command cleanly (an upload aborts or keeps its parts); a second
  // one ends the process at once.
  onInterrupt(listener) {
    let pressed = false;
    const onSigint = () => {
      if (pressed) process.exit(130);
      pressed = true;
      listener();
    };
    process.on('SIGINT', onSigint);
    return () => process.off('SIGINT', onSigint);
  },
});
