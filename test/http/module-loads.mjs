// Registered with --import: appends every module URL the process resolves to the file named by
// MODULE_LOADS_FILE, one per line. The trace tests read it to see which modules a run loaded.
// A file, not stderr: on Node 26 the hooks run in a worker whose writeSync to a pipe can fail
// with EAGAIN.
import { register } from 'node:module';
import process from 'node:process';

const file = process.env.MODULE_LOADS_FILE;
if (!file) throw new Error('module-loads.mjs needs MODULE_LOADS_FILE');
const hooks = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(file)}, result.url + '\\n');
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
