import type { IngestResult } from './types';

/** Gives the bearer token; forceRefresh after the server refused the last one (expired). */
export type TokenProvider = (opts: { forceRefresh: boolean }) => Promise<string>;

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

/** Why a request failed, and whether sending the same bytes again may succeed. */
export class SyncError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const retryableCodes = new Set(['TIMEOUT', 'INTERNAL', 'UNAVAILABLE']);

/** One GraphQL request: POST the body, classify the answer. No retries here; the engine owns them. */
export class Client {
  private token?: string;

  constructor(
    private readonly endpoint: string,
    private readonly tokens: TokenProvider,
    private readonly fetchFn: FetchLike,
  ) {}

  /** Sends body (a whole GraphQL request, already encoded) and returns data; a refused token is refreshed once. */
  async post<T>(body: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.token ??= await this.tokens({ forceRefresh: attempt > 0 });
      try {
        return await this.once<T>(body, this.token);
      } catch (e) {
        if (e instanceof SyncError && e.code === 'UNAUTHENTICATED' && attempt === 0) {
          this.token = await this.tokens({ forceRefresh: true });
          continue;
        }
        throw e;
      }
    }
  }

  private async once<T>(body: string, token: string): Promise<T> {
    let res;
    try {
      res = await this.fetchFn(this.endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body,
      });
    } catch (e) {
      throw new SyncError(`network: ${(e as Error).message}`, 'NETWORK', true);
    }
    const retryAfter = parseRetryAfter(res.headers.get('Retry-After'));
    let text = '';
    try {
      text = await res.text();
    } catch (e) {
      throw new SyncError(`network: ${(e as Error).message}`, 'NETWORK', true);
    }
    let parsed: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const err = parsed?.errors?.[0];
    if (err) {
      const code = err.extensions?.code ?? `HTTP_${res.status}`;
      const retry = retryableCodes.has(code) || res.status >= 500 || res.status === 429;
      throw new SyncError(err.message, code, retry && code !== 'BAD_USER_INPUT' && code !== 'IDEMPOTENCY_KEY_REUSED', retryAfter);
    }
    if (res.status !== 200 || !parsed?.data) {
      const retry = res.status >= 500 || res.status === 429 || res.status === 408;
      throw new SyncError(`HTTP ${res.status}: ${text.slice(0, 200)}`, `HTTP_${res.status}`, retry, retryAfter);
    }
    return parsed.data;
  }
}

function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const d = Date.parse(v);
  return Number.isNaN(d) ? undefined : Math.max(0, d - Date.now());
}

export const ingestMutation = `mutation Ingest($input: IngestBatchInput!) {
  ingestBatch(input: $input) { replayed accepted duplicates updated deleted rejected { kind index id code message } }
}`;

export type IngestData = { ingestBatch: IngestResult };

export const digestsQuery = `query D($type: String!, $from: Time!, $to: Time!, $tz: String) {
  uploadDigests(type: $type, from: $from, to: $to, timeZone: $tz) { weekStart weekEnd count digest }
}`;

export type DigestsData = { uploadDigests: { weekStart: string; weekEnd: string; count: number; digest: string }[] };

export const planQuery = `query P($device: ID!, $types: [String!]!) {
  syncPlan(deviceId: $device, types: $types) { timeZone types { type dataType count firstSample lastSample newestSampleEnd cursor weeks } }
}`;

export type PlanData = {
  syncPlan: {
    timeZone: string;
    types: { type: string; dataType: string; count: number; firstSample: string | null; lastSample: string | null;
      newestSampleEnd: string | null; cursor: string | null; weeks: string[] }[];
  };
};
