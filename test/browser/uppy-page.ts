// A frontend app's page for the Uppy tests: its script (test/browser/uppy/uppy6-page.js for
// Uppy's current major, test/browser/uppy5/uppy5-page.js for the Companion-era 5.x) bundled
// by esbuild as an app's build would, served from an origin of its own on loopback, so the
// service and the bucket must both allow it by CORS, as they must for a real app.
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

import { servePage } from './browser.js';

export type UppyPage = 'uppy6' | 'uppy5';

const ENTRIES: Record<UppyPage, URL> = {
  uppy6: new URL('./uppy/uppy6-page.js', import.meta.url),
  // In its own npm workspace: @uppy/aws-s3 5.x needs @uppy/core 5.x beside it.
  uppy5: new URL('./uppy5/uppy5-page.js', import.meta.url),
};

const bundles = new Map<UppyPage, Promise<string>>();

/** The page's script as one file for the browser; built once per test process. */
function bundle(page: UppyPage): Promise<string> {
  let built = bundles.get(page);
  if (!built) {
    built = build({
      entryPoints: [fileURLToPath(ENTRIES[page])],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      logLevel: 'silent',
    }).then((result) => {
      const [output] = result.outputFiles;
      if (!output) throw new Error(`esbuild produced nothing for ${page}`);
      return output.text;
    });
    bundles.set(page, built);
  }
  return built;
}

/** Serves the page on 127.0.0.1 until the test ends; returns its origin. */
export async function serveUppyPage(t: TestContext, page: UppyPage): Promise<string> {
  const script = await bundle(page);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${page}</title>
<link rel="icon" href="data:,"><script src="/page.js"></script></head><body><p id="ready">${page}</p></body></html>`;
  return servePage(t, (request, response) => {
    const [status, type, body] =
      request.url === '/'
        ? [200, 'text/html; charset=utf-8', html]
        : request.url === '/page.js'
          ? [200, 'text/javascript; charset=utf-8', script]
          : [404, 'text/plain', 'not found'];
    response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
}
