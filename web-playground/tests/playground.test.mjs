// The playground as a person uses it: headless Chromium opens GET /, signs in from the bar, runs a
// query, and runs a subscription that shows an announcement published meanwhile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execute, launchChromium, openWith, resultText, signIn } from './browser.mjs';
import { ADMIN, startFolio, until } from './folio.mjs';

let folio;
let browser;
before(async () => {
  folio = await startFolio();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await folio?.stop();
});

test('signing in from the bar and running a query shows the signed-in user', async () => {
  const { page, context, external } = await openWith(browser, folio.url, 'query Me { me { email role } }');
  await signIn(page, ADMIN);
  assert.match(await page.textContent('#signin-status'), /Demo Admin \(ADMIN\)/);
  await execute(page);
  await page.waitForFunction(() =>
    document.querySelector('.result-window .CodeMirror')?.CodeMirror.getValue().includes('admin@folio.demo'),
  );
  const result = JSON.parse(await resultText(page));
  assert.deepEqual(result.data, { me: { email: 'admin@folio.demo', role: 'ADMIN' } });
  await page.screenshot({ path: '/tmp/folio-playground-query.png' });
  assert.deepEqual(external, [], 'the page works without the internet');
  await context.close();
});

test('a subscription run from the page shows announcements as they are posted', async () => {
  const { page, context } = await openWith(browser, folio.url, 'subscription Live { announcements { message } }');
  await execute(page);
  const token = await folio.adminToken();
  await until(
    async () => (await resultText(page)).includes('seen in the browser'),
    () => folio.gql('mutation { announce(message: "seen in the browser") { message } }', {}, token),
  );
  assert.deepEqual(JSON.parse(await resultText(page)).data, {
    announcements: { message: 'seen in the browser' },
  });
  await page.screenshot({ path: '/tmp/folio-playground-subscription.png' });
  await context.close();
});
