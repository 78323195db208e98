// The playground in headless Chromium: launching it, opening the page, running what the editor holds.
import { chromium } from 'playwright-core';

/** Headless Chromium, with nothing that would reach the internet. */
export async function launchChromium() {
  return chromium.launch({
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
}

/** The text GraphiQL shows in its result pane. */
export async function resultText(page) {
  return page.evaluate(() => {
    const editor = document.querySelector('.result-window .CodeMirror');
    return editor ? editor.CodeMirror.getValue() : '';
  });
}

export async function openWith(browser, url, query) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const external = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !url.protocol.startsWith('data')) {
      external.push(request.url());
    }
  });
  await page.goto(`${url}/?query=${encodeURIComponent(query)}`);
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
export async function execute(page) {
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

/** Signs in from the bar with `account` and waits until the bar says so. */
export async function signIn(page, account) {
  await page.fill('#signin-email', account.email);
  await page.fill('#signin-password', account.password);
  await page.click('#signin-button');
  await page.waitForFunction(() => document.querySelector('#signin-status')?.textContent.includes('Signed in as'));
}
