import { useCallback, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/graphiql.css';
import './style.css';

import { HTTP_URL, authorizationOf, fetcher } from './fetcher.js';

const DEFAULT_QUERY = `# Welcome to Folio. Sign in above (demo admin: admin@folio.demo / folio-admin), then run:
query Me {
  me { id email name role }
}
`;

const SIGN_IN = `mutation SignIn($email: String!, $password: String!) {
  signIn(input: {email: $email, password: $password}) { token user { name role } }
}`;

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

  // Signed in while the Headers editor still carries the token we got.
  const signedIn =
    session !== null && authorizationOf(parseJsonObject(headers) ?? {}) === `Bearer ${session.token}`;

  const signIn = useCallback(
    async (event) => {
      event.preventDefault();
      setBusy(true);
      setError(null);
      try {
        const response = await fetch(HTTP_URL, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({
            query: SIGN_IN,
            operationName: 'SignIn',
            variables: { email, password },
          }),
        });
        let body;
        try {
          body = await response.json();
        } catch {
          throw new Error(`Sign-in failed: HTTP ${response.status} ${response.statusText}`);
        }
        if (body.errors?.length) throw new Error(body.errors[0].message || 'Sign-in failed');
        const result = body.data?.signIn;
        if (!result?.token) throw new Error('Sign-in failed: no token in the response');
        const next = { token: result.token, name: result.user?.name ?? email, role: result.user?.role ?? '' };
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
    writeStorage(SESSION_KEY, null);
    setSession(null);
    setError(null);
    onHeadersChange(clearAuthorization(headers));
  }, [headers, onHeadersChange]);

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
