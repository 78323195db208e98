// The playground as a person uses it: headless Chromium opens GET /, signs in from the bar, runs a
// query, and runs a subscription that shows an announcement published meanwhile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { ADMIN, startFolio, until } from './folio.mjs';

let folio;
let browser;
before(async () => {
  folio = await startFolio();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
after(async () => {
  await browser?.close();
  await folio?.stop();
});

/** The text GraphiQL shows in its result pane. */
async function resultText(page) {
  return page.evaluate(() => {
    const editor = document.querySelector('.result-window .CodeMirror');
    return editor ? editor.CodeMirror.getValue() : '';
  });
}

async function openWith(query) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const external = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !url.protocol.startsWith('data')) {
      external.push(request.url());
    }
  });
  await page.goto(`${folio.url}/?query=${encodeURIComponent(query)}`);
  await page.waitForSelector('.graphiql-execute-button');
  return { page, context, external };
}

/**
 * Clicks Execute until GraphiQL runs the operation. GraphiQL shows its button before it has made its
 * editors, and a click in between does nothing. When CodeMirror came in separate chunks that window
 * lost 7 of 45 clicks here; bundled in (vite.config.js), 0 of 60. A person would click again, and so
 * does this, but only while the button still says Execute, since clicking a running subscription
 * stops it.
 */
async function execute(page) {
  for (let attempt = 0; attempt < 20; attempt++) {
    await page.click('.graphiql-execute-button[aria-label^="Execute"]');
    try {
      await page.waitForFunction(
        () =>
          document.querySelector('.graphiql-execute-button')?.getAttribute('aria-label')?.startsWith('Stop') ||
          document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue() !== '',
        null,
        { timeout: 500 },
      );
      return;
    } catch {
      // Not started yet: click again.
    }
  }
  throw new Error('GraphiQL never ran the operation');
}

async function signIn(page) {
  await page.fill('#signin-email', ADMIN.email);
  await page.fill('#signin-password', ADMIN.password);
  await page.click('#signin-button');
  await page.waitForFunction(() => document.querySelector('#signin-status')?.textContent.includes('Signed in as'));
}

test('signing in from the bar and running a query shows the signed-in user', async () => {
  const { page, context, external } = await openWith('query Me { me { email role } }');
  await signIn(page);
  assert.match(await page.textContent('#signin-status'), /Demo Admin \(ADMIN\)/);
  await execute(page);
  await page.waitForFunction(() =>
    document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue().includes('admin@folio.demo'),
  );
  const result = JSON.parse(await resultText(page));
  assert.deepEqual(result, { data: { me: { email: 'admin@folio.demo', role: 'ADMIN' } } });
  await page.screenshot({ path: '/tmp/folio-playground-query.png' });
  assert.deepEqual(external, [], 'the page works without the internet');
  await context.close();
});

test('a subscription run from the page shows announcements as they are posted', async () => {
  const { page, context } = await openWith('subscription Live { announcements { message } }');
  await execute(page);
  const token = await folio.adminToken();
  await until(
    async () => (await resultText(page)).includes('seen in the browser'),
    () => folio.gql('mutation { announce(message: "seen in the browser") { message } }', {}, token),
  );
  assert.deepEqual(JSON.parse(await resultText(page)), {
    data: { announcements: { message: 'seen in the browser' } },
  });
  await page.screenshot({ path: '/tmp/folio-playground-subscription.png' });
  await context.close();
});
