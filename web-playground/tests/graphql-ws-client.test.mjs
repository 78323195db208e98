// Folio's WebSocket layer against the reference graphql-transport-ws client (the graphql-ws library).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startFolio, until } from './folio.mjs';

let folio;
before(async () => {
  folio = await startFolio();
});
after(async () => {
  await folio?.stop();
});

function client(connectionParams = {}) {
  return createClient({ url: folio.wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
}

/** Runs a single-result operation over the socket and resolves with its result. */
function once(c, payload) {
  return new Promise((resolve, reject) => {
    let result;
    c.subscribe(payload, {
      next: (value) => (result = value),
      error: reject,
      complete: () => resolve(result),
    });
  });
}

test('a query runs over the socket with the token from connection_init', async () => {
  const token = await folio.adminToken();
  const c = client({ Authorization: `Bearer ${token}` });
  const result = await once(c, { query: '{ me { email role } }' });
  // Every response also says what it cost (extensions.cost).
  assert.deepEqual(result.data, { me: { email: 'admin@folio.demo', role: 'ADMIN' } });
  assert.ok(result.extensions.cost.requestedQueryCost > 0);
  await c.dispose();
});

test('a subscription receives announcements until it is disposed', async () => {
  const token = await folio.adminToken();
  const c = client();
  const received = [];
  const unsubscribe = c.subscribe(
    { query: 'subscription { announcements { message } }' },
    { next: (v) => received.push(v.data.announcements.message), error: (e) => received.push(e), complete: () => {} },
  );
  await until(
    () => received.length > 0,
    () => folio.gql('mutation { announce(message: "from the reference client test") { message } }', {}, token),
  );
  assert.equal(received[0], 'from the reference client test');
  unsubscribe();
  await c.dispose();
});

test('a forged token closes the socket with 4403', async () => {
  const closed = new Promise((resolve) => {
    const c = createClient({
      url: folio.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: 'Bearer forged' },
      retryAttempts: 0,
      lazy: false,
      on: { closed: (event) => resolve(event.code) },
      onNonLazyError: () => {},
    });
    void c;
  });
  assert.equal(await closed, 4403);
});

test('an invalid operation reaches the error sink with a code', async () => {
  const c = client();
  const errors = await new Promise((resolve) => {
    c.subscribe({ query: 'subscription { nope }' }, { next: () => {}, error: resolve, complete: () => resolve(null) });
  });
  assert.ok(Array.isArray(errors), `expected GraphQL errors, got ${errors}`);
  assert.equal(errors[0].extensions.code, 'BAD_USER_INPUT');
  await c.dispose();
});
