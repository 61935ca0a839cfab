// The Chromium side of the Node fixture suites: one static server of the built
// distribution and one headless browser per suite, and a blank same-origin page to
// replay cases on (the server's / is the visualizer, which would boot its own runtime).
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer } from '../../web-demo/serve.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Starts the server and the browser before the suite's tests, closes both after. */
export function useChromium() {
  const ctx = {};
  before(async () => {
    ctx.server = await startServer({ port: 0 });
    ctx.browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.server?.close();
  });
  return ctx;
}

/** `fn(page)` on a blank page titled `title`; then no page error and no request that left the server. */
export async function onBlankPage(ctx, title, fn) {
  const page = await ctx.browser.newPage();
  const foreign = [], errors = [];
  page.on('request', r => { if (!r.url().startsWith(ctx.server.url)) foreign.push(r.url()); });
  page.on('pageerror', e => errors.push(e.message));
  const body = `<!doctype html><meta charset="utf-8"><title>${title}</title>`;
  try {
    await page.route(ctx.server.url + 'blank', route => route.fulfill({ contentType: 'text/html', body }));
    await page.goto(ctx.server.url + 'blank');
    await fn(page);
  } finally {
    await page.close();
  }
  assert.deepEqual(errors, []);
  assert.deepEqual(foreign, [], 'requests left 127.0.0.1');
}
