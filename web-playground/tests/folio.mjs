// Starts a real `folio serve` for the Node tests: its own data dir, port 0, demo accounts on.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ADMIN = { email: 'admin@folio.demo', password: 'folio-admin' };

/** Starts Folio (with `extraEnv` set) and resolves once its banner names the address. */
export async function startFolio(extraEnv = {}) {
  const bin = process.env.FOLIO_BIN;
  if (!bin) throw new Error('set FOLIO_BIN to the folio binary (cargo build puts it in target/debug/folio)');
  const dataDir = mkdtempSync(join(tmpdir(), 'folio-js-'));
  const env = { ...process.env, FOLIO_LOG: 'warn', ...extraEnv };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('folio did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`folio exited with ${code}`)));
    lines.on('line', (line) => {
      const match = line.match(/^Folio is listening on (http:\/\/\S+?)\/?$/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws') + '/graphql',
    async gql(query, variables = {}, token) {
      const headers = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      return response.json();
    },
    /** Signs up a new user; resolves with `{ token, refreshToken, expiresAt, user: { id } }`. */
    async signUp(name) {
      const email = `${name.toLowerCase()}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
      const body = await this.gql(
        'mutation($e: String!, $n: String!) { signUp(input: {email: $e, password: "password123", name: $n}) { token refreshToken expiresAt user { id } } }',
        { e: email, n: name },
      );
      if (!body.data) throw new Error(`sign-up failed: ${JSON.stringify(body)}`);
      return body.data.signUp;
    },
    async adminToken() {
      const body = await this.gql(
        'mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }',
        { e: ADMIN.email, p: ADMIN.password },
      );
      return body.data.signIn.token;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Calls `attempt` every `every` ms until `done()` is true; fails after `within` ms. */
export async function until(done, attempt, { every = 150, within = 10_000 } = {}) {
  const deadline = Date.now() + within;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await attempt();
    await new Promise((r) => setTimeout(r, every));
  }
}
