import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/graphiql.css';
import './style.css';

import { HTTP_URL, authorizationOf, fetcher, renewAuthorization } from './fetcher.js';

const DEFAULT_QUERY = `# Welcome to Folio. Sign in above (demo admin: admin@folio.demo / folio-admin), then run:
query Me {
  me { id email name role }
}
`;

const SIGN_IN = `mutation SignIn($email: String!, $password: String!) {
  signIn(input: {email: $email, password: $password}) { token refreshToken expiresAt user { name role } }
}`;

const REFRESH = `mutation RefreshSession($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) { token refreshToken expiresAt }
}`;

const SIGN_OUT = 'mutation SignOut { signOut }';

// Access tokens are short-lived: the bar trades its refresh token for a new pair this long before
// the current token expires (or at 80% of a shorter lifetime), so requests never carry a dead one.
const REFRESH_AHEAD_MS = 60_000;

/** POSTs one operation and returns its data field, or throws an Error carrying the GraphQL code. */
async function call(query, operationName, variables, field, authorization) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (authorization) headers.Authorization = authorization;
  const response = await fetch(HTTP_URL, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, operationName, variables }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`HTTP ${response.status} ${response.statusText}`);
  }
  if (body.errors?.length) {
    const error = new Error(body.errors[0].message || 'The request failed');
    error.code = body.errors[0].extensions?.code;
    throw error;
  }
  return body.data?.[field];
}

/**
 * Trades `session`'s refresh token for a new pair and stores it for every tab. Only the leading tab
 * calls this (see `useLeadership`): a refresh token works once, and presenting a spent one ends the
 * session, while tabs see each other's writes to localStorage only after a moment, too late to
 * take turns through it.
 */
async function refresh(session) {
  const result = await call(REFRESH, 'RefreshSession', { refreshToken: session.refreshToken }, 'refreshSession');
  if (!result?.token) return null;
  const next = { ...session, token: result.token, refreshToken: result.refreshToken, expiresAt: result.expiresAt };
  writeStorage(SESSION_KEY, JSON.stringify(next));
  return next;
}

/**
 * Whether this tab leads: of the tabs of one browser, the first to ask holds a Web Lock for as long
 * as it is open and alone refreshes the shared session; the others follow its writes (`storage`
 * events), and the next in line takes over when it closes. Without Web Locks, every tab leads.
 */
function useLeadership() {
  const [leading, setLeading] = useState(!navigator.locks);
  useEffect(() => {
    if (!navigator.locks) return undefined;
    const released = new AbortController();
    navigator.locks
      .request('folio-session-leader', { signal: released.signal }, () => {
        setLeading(true);
        return new Promise(() => {}); // held until the tab closes
      })
      .catch(() => {}); // aborted on unmount
    return () => released.abort();
  }, []);
  return leading;
}

/** When to refresh a session that expires at `expiresAt`, in milliseconds from now. */
function refreshDelay(expiresAt) {
  const left = Date.parse(expiresAt) - Date.now();
  if (!Number.isFinite(left)) return 0;
  // A minute ahead for the default 15-minute tokens; at 80% of a lifetime shorter than that.
  return Math.max(0, left - REFRESH_AHEAD_MS, left * 0.8);
}

// GraphiQL keeps its state under this namespace in localStorage.
const GRAPHIQL_TABS_KEY = 'graphiql:tabState';
const GRAPHIQL_HEADERS_KEY = 'graphiql:headers';
const SESSION_KEY = 'folio:session';

function readStorage(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStorage(key, value) {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // Storage may be unavailable (private mode); the page still works without it.
  }
}

function parseJsonObject(text) {
  if (!text || !text.trim()) return {};
  try {
    const value = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

function withoutAuthorization(object) {
  return Object.fromEntries(
    Object.entries(object).filter(([name]) => name.toLowerCase() !== 'authorization'),
  );
}

/** The headers text with its Authorization header set to `value`, other headers kept. */
function setAuthorization(headersText, value) {
  const rest = withoutAuthorization(parseJsonObject(headersText) ?? {});
  return JSON.stringify({ Authorization: value, ...rest }, null, 2);
}

/** The headers text without an Authorization header ('' if nothing is left). */
function clearAuthorization(headersText) {
  const parsed = parseJsonObject(headersText);
  if (parsed === null) return headersText; // invalid JSON: leave the user's text alone
  const rest = withoutAuthorization(parsed);
  return Object.keys(rest).length ? JSON.stringify(rest, null, 2) : '';
}

function readInitialUrlState() {
  const params = new URLSearchParams(window.location.search);
  const query = params.get('query');
  let variables = params.get('variables');
  if (variables !== null) {
    try {
      variables = JSON.stringify(JSON.parse(variables), null, 2);
    } catch {
      // Not JSON: show it as given, GraphiQL will flag it.
    }
  }
  return {
    query: query !== null ? query : undefined,
    variables: variables !== null ? variables : undefined,
  };
}

/**
 * The headers GraphiQL should start with: those of the tab it was showing last. GraphiQL 3 blanks
 * its own `graphiql:headers` key on every load (before its header editor exists), so the tab state
 * is the reliable copy. Passing the active tab's headers also keeps GraphiQL's tab matching (which
 * hashes query, variables and headers) landing on that tab instead of opening a new one on reload.
 */
function readInitialHeaders() {
  try {
    const tabs = JSON.parse(readStorage(GRAPHIQL_TABS_KEY) ?? 'null');
    const tab = tabs?.tabs?.[tabs.activeTabIndex];
    if (tab && typeof tab.headers === 'string') return tab.headers;
  } catch {
    // Fall through to the plain key.
  }
  return readStorage(GRAPHIQL_HEADERS_KEY) ?? '';
}

function readSession() {
  const session = parseJsonObject(readStorage(SESSION_KEY));
  return session && typeof session.token === 'string' ? session : null;
}

function SignInBar({ headers, onHeadersChange }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [session, setSession] = useState(readSession);
  // Bumped to try a failed refresh again.
  const [refreshAttempt, setRefreshAttempt] = useState(0);
  const leading = useLeadership();
  // The latest headers and sign-in state, for a refresh that finishes after they changed.
  const headersRef = useRef(headers);
  headersRef.current = headers;

  // Signed in while the Headers editor still carries the token we got.
  const signedIn =
    session !== null && authorizationOf(parseJsonObject(headers) ?? {}) === `Bearer ${session.token}`;
  const signedInRef = useRef(signedIn);
  signedInRef.current = signedIn;

  const signIn = useCallback(
    async (event) => {
      event.preventDefault();
      setBusy(true);
      setError(null);
      try {
        const result = await call(SIGN_IN, 'SignIn', { email, password }, 'signIn');
        if (!result?.token) throw new Error('Sign-in failed: no token in the response');
        const next = {
          token: result.token,
          refreshToken: result.refreshToken,
          expiresAt: result.expiresAt,
          name: result.user?.name ?? email,
          role: result.user?.role ?? '',
        };
        writeStorage(SESSION_KEY, JSON.stringify(next));
        setSession(next);
        setPassword('');
        onHeadersChange(setAuthorization(headers, `Bearer ${next.token}`));
      } catch (err) {
        setError(err instanceof Error ? err.message : String(err));
      } finally {
        setBusy(false);
      }
    },
    [email, password, headers, onHeadersChange],
  );

  const signOut = useCallback(() => {
    // Ends the session on the server too (its tokens stop working everywhere); the page signs out
    // whatever the answer.
    if (session) void call(SIGN_OUT, 'SignOut', {}, 'signOut', `Bearer ${session.token}`).catch(() => {});
    writeStorage(SESSION_KEY, null);
    setSession(null);
    setError(null);
    onHeadersChange(clearAuthorization(headers));
  }, [session, headers, onHeadersChange]);

  // Keeps the stored session fresh, in the leading tab only: shortly before the token expires (at
  // once if it already has), trades the refresh token for a new pair; while signed in, puts the new
  // token in the Headers editor and tells an open subscription socket. The other tabs follow
  // through `storage` events. A refused refresh (the session was ended) signs the bar out.
  useEffect(() => {
    if (!leading || !session?.refreshToken) return undefined;
    let cancelled = false;
    const timer = setTimeout(async () => {
      try {
        const next = await refresh(session);
        if (!next) return;
        // Adopted even if this effect was replaced meanwhile (the headers changed): the old
        // refresh token is spent now, and must not be presented again.
        setSession(next);
        if (signedInRef.current) {
          renewAuthorization(`Bearer ${session.token}`, `Bearer ${next.token}`);
          onHeadersChange(setAuthorization(headersRef.current, `Bearer ${next.token}`));
        }
      } catch (err) {
        if (cancelled) return;
        if (err?.code === 'UNAUTHENTICATED') {
          writeStorage(SESSION_KEY, null);
          setSession(null);
          setError('Your session ended; sign in again');
          onHeadersChange(clearAuthorization(headersRef.current));
        }
        // Anything else (server unreachable): try again shortly.
        else setTimeout(() => !cancelled && setRefreshAttempt((n) => n + 1), 5_000);
      }
    }, refreshDelay(session.expiresAt));
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [leading, session, onHeadersChange, refreshAttempt]);

  // Another tab signed in, refreshed or signed out: this one follows.
  useEffect(() => {
    const follow = (event) => {
      if (event.key !== SESSION_KEY) return;
      const next = readSession();
      if (!next) {
        setSession(null);
        onHeadersChange(clearAuthorization(headers));
        return;
      }
      if (next.token === session?.token) return;
      setSession(next);
      setError(null);
      if (session) renewAuthorization(`Bearer ${session.token}`, `Bearer ${next.token}`);
      onHeadersChange(setAuthorization(headers, `Bearer ${next.token}`));
    };
    window.addEventListener('storage', follow);
    return () => window.removeEventListener('storage', follow);
  }, [session, headers, onHeadersChange]);

  return (
    <header className="folio-bar">
      <div className="folio-brand">
        Folio <span className="folio-brand-sub">GraphQL playground</span>
      </div>
      <div className="folio-auth">
        {signedIn ? (
          <>
            <span id="signin-status" className="folio-status" role="status">
              Signed in as {session.name}
              {session.role ? ` (${session.role})` : ''}
            </span>
            <button id="signout-button" type="button" className="folio-button" onClick={signOut}>
              Sign out
            </button>
          </>
        ) : (
          <form className="folio-form" onSubmit={signIn}>
            <span
              id="signin-status"
              className={error ? 'folio-status folio-error' : 'folio-status'}
              role={error ? 'alert' : 'status'}
            >
              {error ?? 'Not signed in'}
            </span>
            <input
              id="signin-email"
              type="email"
              placeholder="Email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              required
            />
            <input
              id="signin-password"
              type="password"
              placeholder="Password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
            <button id="signin-button" type="submit" className="folio-button folio-primary" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        )}
      </div>
    </header>
  );
}

function App() {
  const initial = useMemo(readInitialUrlState, []);
  // Controlled headers: sign-in/out write them, and edits in GraphiQL's Headers editor flow back
  // here through onEditHeaders, so the editor and this state always agree.
  const [headers, setHeaders] = useState(readInitialHeaders);

  return (
    <div className="folio-app">
      <SignInBar headers={headers} onHeadersChange={setHeaders} />
      <main className="folio-graphiql">
        <GraphiQL
          fetcher={fetcher}
          query={initial.query}
          variables={initial.variables}
          defaultQuery={DEFAULT_QUERY}
          headers={headers}
          onEditHeaders={setHeaders}
          shouldPersistHeaders
          isHeadersEditorEnabled
        >
          <GraphiQL.Logo>Folio</GraphiQL.Logo>
        </GraphiQL>
      </main>
    </div>
  );
}

// No StrictMode: its double-mounting makes GraphiQL 3 create its CodeMirror editors twice.
createRoot(document.getElementById('root')).render(<App />);
