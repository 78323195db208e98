// The playground with short-lived tokens: the sign-in bar refreshes its token by itself, and a
// subscription running in the page carries on across the refresh (the page renews its socket with
// `reauthenticate`), as a person leaving the tab open would expect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execute, launchChromium, openWith, resultText, signIn } from './browser.mjs';
import { startFolio, until } from './folio.mjs';

const TOKEN_TTL_SECONDS = 4;

let folio;
let browser;
before(async () => {
  folio = await startFolio({ FOLIO_TOKEN_TTL: String(TOKEN_TTL_SECONDS) });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await folio?.stop();
});

test('a signed-in subscription keeps running in the page past its first token', async () => {
  const ann = await folio.signUp('Ann');
  const bob = await folio.signUp('Bob');
  const email = (await folio.gql('{ me { email } }', {}, ann.token)).data.me.email;
  const created = await folio.gql(
    'mutation($m: [ID!]!) { createConversation(input: {memberIds: $m}) { id } }',
    { m: [bob.user.id] },
    ann.token,
  );
  const conversation = created.data.createConversation.id;

  const { page, context } = await openWith(browser, folio.url, 'subscription Mine { messageAdded { body } }');
  await signIn(page, { email, password: 'password123' });
  const firstToken = await page.evaluate(() => JSON.parse(localStorage.getItem('folio:session')).token);
  await execute(page);

  // Past the first token's expiry: the bar has refreshed it, and the socket was renewed, not closed.
  await new Promise((resolve) => setTimeout(resolve, (TOKEN_TTL_SECONDS + 1.5) * 1_000));
  const send = (n) =>
    folio.gql(
      'mutation($c: ID!, $b: String!) { sendMessage(input: {conversationId: $c, body: $b, clientMessageId: $b}) { seq } }',
      { c: conversation, b: `still here ${n}` },
      bobToken,
    );
  // Bob's first token has expired too: he refreshes once.
  const refreshed = await folio.gql(
    'mutation($r: String!) { refreshSession(refreshToken: $r) { token } }',
    { r: bob.refreshToken },
  );
  const bobToken = refreshed.data.refreshSession.token;
  let n = 0;
  await until(
    async () => (await resultText(page)).includes('still here'),
    () => send(n++),
  );
  assert.doesNotMatch(await resultText(page), /4403/);
  const nowToken = await page.evaluate(() => JSON.parse(localStorage.getItem('folio:session')).token);
  assert.notEqual(nowToken, firstToken, 'the bar refreshed its token');
  assert.match(await page.textContent('#signin-status'), /Signed in as Ann/);
  await context.close();
});

test('two tabs refreshing the same session keep it alive (a refresh token is spent once)', async () => {
  const ann = await folio.signUp('Tabs');
  const email = (await folio.gql('{ me { email } }', {}, ann.token)).data.me.email;
  const context = await browser.newContext();
  const first = await context.newPage();
  await first.goto(`${folio.url}/`);
  await first.waitForSelector('.graphiql-execute-button');
  await signIn(first, { email, password: 'password123' });
  // GraphiQL stores its tabs' headers (the token among them) a moment after they change.
  await first.waitForFunction(() => (localStorage.getItem('graphiql:tabState') ?? '').includes('Bearer'));
  // A second tab of the same browser: it opens with the stored headers and session, signed in.
  const second = await context.newPage();
  await second.goto(`${folio.url}/`);
  await second.waitForFunction(() => document.querySelector('#signin-status')?.textContent.includes('Signed in as'));

  // Both tabs' timers fire together, twice over.
  await new Promise((resolve) => setTimeout(resolve, (2 * TOKEN_TTL_SECONDS + 1) * 1_000));
  const stored = await first.evaluate(() => JSON.parse(localStorage.getItem('folio:session')));
  const me = await folio.gql('{ me { email } }', {}, stored.token);
  assert.equal(me.data?.me?.email, email, `the session survived: ${JSON.stringify(me)}`);
  for (const page of [first, second]) {
    assert.match(await page.textContent('#signin-status'), /Signed in as Tabs/);
  }
  await context.close();
});
