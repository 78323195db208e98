// Short-lived tokens against the reference graphql-transport-ws client (the graphql-ws library): a
// client whose connectionParams is a function that refreshes the token, which retries when the
// server closes the socket at the token's expiry (4403) and resumes with afterSeq, loses nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startFolio } from './folio.mjs';

const TOKEN_TTL_SECONDS = 3;

let folio;
before(async () => {
  folio = await startFolio({ FOLIO_TOKEN_TTL: String(TOKEN_TTL_SECONDS) });
});
after(async () => {
  await folio?.stop();
});

const REFRESH = 'mutation($r: String!) { refreshSession(refreshToken: $r) { token refreshToken expiresAt } }';
const SEND =
  'mutation($c: ID!, $b: String!) { sendMessage(input: {conversationId: $c, body: $b, clientMessageId: $b}) { seq } }';

/** A signed-in user whose token is refreshed whenever it is about to expire. */
function session(signedUp) {
  let current = signedUp;
  return {
    async token() {
      if (Date.parse(current.expiresAt) - Date.now() < 1_000) {
        const body = await folio.gql(REFRESH, { r: current.refreshToken });
        if (!body.data) throw new Error(`refresh failed: ${JSON.stringify(body)}`);
        current = { ...current, ...body.data.refreshSession };
      }
      return current.token;
    },
  };
}

test('a subscriber that refreshes, retries and resumes with afterSeq misses no message across token expiries', async () => {
  const ann = await folio.signUp('Ann');
  const bob = await folio.signUp('Bob');
  const created = await folio.gql(
    'mutation($m: [ID!]!) { createConversation(input: {memberIds: $m}) { id } }',
    { m: [bob.user.id] },
    ann.token,
  );
  const conversation = created.data.createConversation.id;
  const annSession = session(ann);
  const bobSession = session(bob);

  const closes = [];
  const client = createClient({
    url: folio.wsUrl,
    webSocketImpl: WebSocket,
    // Read at every connection_init, so a reconnect carries a fresh token.
    connectionParams: async () => ({ authorization: `Bearer ${await annSession.token()}` }),
    retryAttempts: 20,
    retryWait: async () => new Promise((resolve) => setTimeout(resolve, 100)),
    // 4403 at expiry is retried (graphql-ws's default too); say so to be explicit.
    shouldRetry: () => true,
    on: { closed: (event) => closes.push(event.code) },
  });

  // graphql-ws sends this same payload again after a reconnect: moving afterSeq forward as messages
  // arrive makes the new subscription start right after the last one received.
  const variables = { c: conversation, a: 0 };
  const received = new Set();
  const stop = client.subscribe(
    {
      query: 'subscription($c: ID, $a: Int) { messageAdded(conversationId: $c, afterSeq: $a) { seq body } }',
      variables,
    },
    {
      next: ({ data, errors }) => {
        assert.equal(errors, undefined, JSON.stringify(errors));
        received.add(data.messageAdded.seq);
        variables.a = Math.max(variables.a, data.messageAdded.seq);
      },
      error: (err) => assert.fail(`the subscription failed: ${JSON.stringify(err)}`),
      complete: () => {},
    },
  );

  // Bob talks for more than two of Ann's token lifetimes.
  const sent = [];
  const until = Date.now() + (2 * TOKEN_TTL_SECONDS + 1.5) * 1_000;
  for (let n = 0; Date.now() < until; n++) {
    const body = await folio.gql(SEND, { c: conversation, b: `message ${n}` }, await bobSession.token());
    assert.ok(body.data, JSON.stringify(body));
    sent.push(body.data.sendMessage.seq);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const deadline = Date.now() + 10_000;
  while (sent.some((seq) => !received.has(seq)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stop();
  await client.dispose();

  assert.ok(closes.includes(4403), `the server closed at expiry: ${closes}`);
  const missing = sent.filter((seq) => !received.has(seq));
  assert.deepEqual(missing, [], `missed ${missing.length} of ${sent.length}`);
});
