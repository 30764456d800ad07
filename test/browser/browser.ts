// Launches Debian's chromium (apt-get install chromium; .ci/run installs it) through
// playwright-core, which ships no browser of its own. Headless, no sandbox (CI runs as
// root), and quiet: no background traffic, no component updates, no QUIC.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's launcher script; CHROMIUM_EXECUTABLE points elsewhere (e.g. on a workstation). */
export const CHROMIUM_EXECUTABLE = process.env.CHROMIUM_EXECUTABLE ?? '/usr/bin/chromium';

/**
 * On a developer machine without chromium the browser tests are skipped, and say why; in CI
 * (CI=true, where .ci/run installs chromium) they always run, so a missing browser fails.
 */
export const browserTestOptions = (timeout: number) => ({
  timeout,
  skip:
    !process.env.CI && !existsSync(CHROMIUM_EXECUTABLE)
      ? `${CHROMIUM_EXECUTABLE} is not installed (apt-get install chromium)`
      : false,
});

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface LaunchedBrowser {
  browser: Browser;
  /** Closes the browser and removes its profile and downloads directory; safe to call twice. */
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  // playwright-core gives chromium a fresh temporary profile (--user-data-dir) of its own
  // and deletes it on close; this directory holds only what downloads write.
  const downloadsPath = await mkdtemp(join(tmpdir(), 's3-presign-browser-'));
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM_EXECUTABLE,
      args: CHROMIUM_ARGS,
      downloadsPath,
      timeout: 60_000,
    });
  } catch (error) {
    await rm(downloadsPath, { recursive: true, force: true });
    throw new Error(
      `could not launch ${CHROMIUM_EXECUTABLE} (install it with "apt-get install chromium" ` +
        `or set CHROMIUM_EXECUTABLE): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }

  let closing: Promise<void> | undefined;
  return {
    browser,
    close() {
      closing ??= browser.close().finally(() => rm(downloadsPath, { recursive: true, force: true }));
      return closing;
    },
  };
}

export interface BrowserPage {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors, for assertion messages. */
  problems: string[];
}

/** A fresh context and page in a browser that is closed when the test ends. */
export async function openPage(t: TestContext): Promise<BrowserPage> {
  const launched = await launchChromium();
  t.after(() => launched.close());
  const context = await launched.browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  return { browser: launched.browser, context, page, problems };
}

/**
 * Serves a test's own page on 127.0.0.1 until the test ends; returns its origin. Closing drops
 * the connections a browser may still hold, which would otherwise keep close() waiting.
 */
export async function servePage(t: TestContext, listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
