// GraphiQL fetcher for Folio: queries and mutations over HTTP POST, subscriptions over
// graphql-ws (subprotocol graphql-transport-ws), both against this page's own origin.
import { getOperationAST, parse } from 'graphql';
import { createClient } from 'graphql-ws';

export const HTTP_URL = `${window.location.origin}/graphql`;
export const WS_URL = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/graphql`;

function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value of the `Authorization` header in `headers`, whatever the case of its name. */
export function authorizationOf(headers) {
  if (!isPlainObject(headers)) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization' && value !== undefined && value !== null && value !== '') {
      return String(value);
    }
  }
  return undefined;
}

function isSubscription(params, documentAST) {
  try {
    const doc = documentAST ?? parse(params.query);
    const op = getOperationAST(doc, params.operationName || undefined);
    return op?.operation === 'subscription';
  } catch {
    // Unparsable query: let the server report the syntax error over HTTP.
    return false;
  }
}

async function overHttp(params, headers) {
  const merged = { 'Content-Type': 'application/json', Accept: 'application/json' };
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && value !== null) merged[name] = String(value);
  }
  const response = await fetch(HTTP_URL, {
    method: 'POST',
    headers: merged,
    body: JSON.stringify(params),
    credentials: 'same-origin',
  });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return {
      errors: [{ message: `HTTP ${response.status} ${response.statusText}: ${text.slice(0, 500)}` }],
    };
  }
}

// One graphql-ws client per signed-in identity. When the sign-in bar refreshes the token, the open
// socket is told with `reauthenticate` (its subscriptions carry on under the new token, with no gap)
// and a reconnect sends the newest token: connectionParams is read at each connection_init.
let current = null; // { authorization, client }

const REAUTHENTICATE = 'mutation Reauthenticate($token: String!) { reauthenticate(token: $token) { expiresAt } }';

function wsClient(authorization) {
  if (current && current.authorization === authorization) return current.client;
  if (current) void current.client.dispose();
  const state = { authorization, client: null };
  state.client = createClient({
    url: WS_URL,
    lazy: true,
    retryAttempts: 3,
    // graphql-ws retries 4403 (Forbidden) by default; for a playground a rejected token should show
    // at once. Other closes (server restarting, network) are still retried.
    shouldRetry: (closeEvent) => !(closeEvent && typeof closeEvent === 'object' && closeEvent.code === 4403),
    connectionParams: () => (state.authorization ? { authorization: state.authorization } : {}),
  });
  current = state;
  return state.client;
}

/**
 * The sign-in bar refreshed its token: the socket signed in with `previous` carries on under `next`.
 * Subscriptions started afterwards with the new Authorization header reuse that socket.
 */
export function renewAuthorization(previous, next) {
  if (!current || current.authorization !== previous || !next) return;
  current.authorization = next;
  const token = next.replace(/^Bearer\s+/i, '');
  // Sent only if the socket is open (lazy: no subscription, no socket, nothing to renew).
  const done = current.client.subscribe(
    { query: REAUTHENTICATE, variables: { token }, operationName: 'Reauthenticate' },
    { next: () => {}, error: () => {}, complete: () => {} },
  );
  void done;
}

function closeMessage(err) {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'code' in err) {
    // A CloseEvent: 4403 means the server rejected the token.
    const reason = err.reason ? `: ${err.reason}` : '';
    return `WebSocket closed with code ${err.code}${reason}`;
  }
  return `WebSocket connection to ${WS_URL} failed`;
}

function overWebSocket(params, authorization) {
  const client = wsClient(authorization);
  const payload = {
    query: params.query,
    variables: params.variables ?? undefined,
    operationName: params.operationName ?? undefined,
    extensions: params.extensions ?? undefined,
  };
  // An Observable-like object: GraphiQL calls subscribe() and later unsubscribe().
  return {
    subscribe(sink) {
      const unsubscribe = client.subscribe(payload, {
        next: (value) => sink.next(value),
        // Either the server's `error` message (GraphQL errors) or a failed/closed connection: both
        // are shown in the result pane like any GraphQL error response.
        error: (err) => {
          sink.next({ errors: Array.isArray(err) ? err : [{ message: closeMessage(err) }] });
          sink.complete();
        },
        complete: () => sink.complete(),
      });
      return { unsubscribe };
    },
  };
}

/** The fetcher given to GraphiQL. `opts.headers` is what the user typed in the Headers editor. */
export function fetcher(params, opts) {
  const headers = isPlainObject(opts?.headers) ? opts.headers : {};
  if (isSubscription(params, opts?.documentAST)) {
    return overWebSocket(params, authorizationOf(headers));
  }
  return overHttp(params, headers);
}
