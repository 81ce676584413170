// Starts the real healthsync server (built from this repository) with its own PostgreSQL, mints tokens with
// its `token` command, and reads back what it holds through its GraphQL API.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '../src/client';
import type { FetchLike } from '../src/client';

const repo = resolve(__dirname, '../../../..');
const secret = 'sdk-test-secret-0123456789abcdef-0123456789';

let built: string | undefined;
/** The server binary: HEALTHSYNC_BIN when set (make sdk-test builds it), else built once into a temp dir. */
export function binary(): string {
  if (process.env.HEALTHSYNC_BIN) return resolve(process.env.HEALTHSYNC_BIN);
  if (!built) {
    built = join(mkdtempSync(join(tmpdir(), 'hs-sdk-bin-')), 'healthsync');
    execFileSync('go', ['build', '-o', built, './cmd/healthsync'], { cwd: repo, stdio: 'inherit' });
  }
  return built;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => ok(p));
    });
    s.on('error', fail);
  });
}

export class Server {
  private proc?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'hs-sdk-'));
  port = 0;
  log = '';

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, HEALTHSYNC_ADDR: `127.0.0.1:${this.port}`, HEALTHSYNC_DATA_DIR: this.dir,
      HEALTHSYNC_JWT_SECRET: secret, HEALTHSYNC_SHUTDOWN_TIMEOUT: '5s' };
    delete env.DATABASE_URL;
    return env;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const p = spawn(binary(), ['serve'], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d) => (this.log += d));
    p.stderr!.on('data', (d) => (this.log += d));
    this.proc = p;
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      if (p.exitCode !== null) throw new Error(`server exited: ${this.log.slice(-2000)}`);
      try {
        const r = await fetch(`http://127.0.0.1:${this.port}/readyz`);
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`server not ready: ${this.log.slice(-2000)}`);
  }

  /** SIGKILL: no graceful shutdown (its PostgreSQL follows through the parent-death signal). */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  token(user: string, ttl = '1h'): string {
    return execFileSync(binary(), ['token', '--user', user, '--ttl', ttl], { env: this.env() }).toString().trim();
  }

  /** A client of this server for user (reads back what the server holds). */
  client(user: string, fetchFn: FetchLike = fetch as unknown as FetchLike): Client {
    return new Client(this.endpoint, async () => this.token(user), fetchFn);
  }
}

/** What the server holds of one type over [from, to): per week count and digest, and a metric's total. */
export async function serverDigests(c: Client, type: string, from: Date, to: Date): Promise<Map<number, { count: number; digest: string }>> {
  const out = new Map<number, { count: number; digest: string }>();
  const { digestsQuery } = await import('../src/client');
  for (let a = from; a < to; a = new Date(a.getTime() + 250 * 7 * 86_400_000)) {
    const b = new Date(Math.min(to.getTime(), a.getTime() + 250 * 7 * 86_400_000));
    const d = await c.post<{ uploadDigests: { weekStart: string; count: number; digest: string }[] }>(
      JSON.stringify({ query: digestsQuery, variables: { type, from: a.toISOString(), to: b.toISOString() } }));
    for (const w of d.uploadDigests) out.set(Date.parse(w.weekStart), w);
  }
  return out;
}

export async function serverTotal(c: Client, metric: string, from: Date, to: Date): Promise<{ count: number; sum: number }> {
  const d = await c.post<{ series: { points: { count: number; sum: number }[] } }>(JSON.stringify({
    query: `query S($m: String!, $from: Time!, $to: Time!) { series(metric: $m, from: $from, to: $to, bucket: MONTH, merge: NONE, timeZone: "UTC") { points { count sum } } }`,
    variables: { m: metric, from: from.toISOString(), to: to.toISOString() } }));
  return d.series.points.reduce((a, p) => ({ count: a.count + p.count, sum: a.sum + p.sum }), { count: 0, sum: 0 });
}

/** A token of user whose exp lies `expiredFor` ms in the past (the server allows 30 s of clock skew). */
export function backdatedToken(server: Server, user: string, expiresInMs: number): string {
  const { createHmac } = require('node:crypto') as typeof import('node:crypto');
  const [h, p] = server.token(user).split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  const now = Math.floor(Date.now() / 1000);
  claims.exp = now + Math.round(expiresInMs / 1000);
  claims.iat = now - 120;
  const body = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
