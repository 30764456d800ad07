// Proves the browser harness: Debian's chromium starts, loads a page from a loopback
// server, runs its script, and reports back.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openPage, browserTestOptions, servePage } from './browser.js';

const PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>smoke</title></head>
  <body>
    <button id="go" type="button">Go</button>
    <p id="out"></p>
    <script src="/smoke.js"></script>
  </body>
</html>`;

const SCRIPT = `document.getElementById('go').addEventListener('click', () => {
  document.getElementById('out').textContent = 'clicked in ' + navigator.userAgent.split(' ').find((p) => p.startsWith('HeadlessChrome/') || p.startsWith('Chrome/'));
});`;

test(
  'chromium opens a loopback page, clicks a button and reads the text back',
  browserTestOptions(60_000),
  async (t) => {
    const origin = await servePage(t, (request, response) => {
      if (request.url === '/smoke.js') {
        response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        response.end(SCRIPT);
      } else {
        response.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': "default-src 'self'",
        });
        response.end(PAGE);
      }
    });

    const { browser, page, problems } = await openPage(t);
    assert.match(browser.version(), /^\d+\./);

    const response = await page.goto(`${origin}/`);
    assert.equal(response?.status(), 200);
    await page.getByRole('button', { name: 'Go' }).click();
    await page.locator('#out', { hasText: 'clicked in' }).waitFor();

    assert.match((await page.locator('#out').textContent()) ?? '', /^clicked in (Headless)?Chrome\/\d+/);
    assert.deepEqual(problems, []);
  },
);
