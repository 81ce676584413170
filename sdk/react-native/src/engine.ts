import { Client, digestsQuery, ingestMutation, planQuery, SyncError } from './client';
import type { DigestsData, IngestData, PlanData } from './client';
import { digestOf, nextWeek, weekStart } from './digest';
import type { Storage } from './storage';
import type { DeviceInfo, HealthStore, IngestResult, Rejection, SyncItem } from './types';

export interface EngineOptions {
  store: HealthStore;
  client: Client;
  storage: Storage;
  device: DeviceInfo;
  types: string[];
  /** Server limits: items (samples, series records, category samples, workouts, deletions) and bytes per batch. */
  maxItems?: number;
  maxBytes?: number;
  /** How far back the first run backfills. */
  backfillDays?: number;
  /** Changes asked from the platform per read. */
  pageSize?: number;
  /** Attempts per batch within one syncNow before it stays in the outbox for the next. */
  maxAttempts?: number;
  /** A type that brought nothing for this long after it used to is reported as possibly revoked. */
  staleAfterMs?: number;
  /** Waits between retries (tests pass a fast one). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onEvent?: (e: SyncEvent) => void;
}

export type SyncEvent =
  | { type: 'progress'; dataType: string; sent: number; phase: 'backfill' | 'changes' }
  | { type: 'rejected'; dataType: string; rejections: Rejection[] }
  | { type: 'error'; dataType?: string; code: string; message: string; willRetry: boolean }
  | { type: 'status'; status: TypeStatus[] };

export interface TypeStatus {
  type: string;
  lastSyncedAt?: string;
  /** Items encoded in the outbox, not yet acknowledged. */
  pendingItems: number;
  lastError?: string;
  backfillComplete: boolean;
  /** Used to bring data, has brought nothing for staleAfterMs: the user may have revoked the permission. */
  possiblyRevoked: boolean;
}

export interface SyncReport {
  /** Everything read was acknowledged: no budget or retry limit stopped the run. */
  complete: boolean;
  batches: number;
  items: number;
  weeksSkipped: number;
  weeksUploaded: number;
  rejected: Rejection[];
}

interface TypeState {
  cursor?: string;
  /** Backfill (first run, new phone, expired changes token): weeks from `next` back to `until`, newest first. */
  backfill?: { startCursor: string; next: string; until: string };
  lastSyncedAt?: string;
  lastDataAt?: string;
  lastError?: string;
}

interface OutboxEntry {
  seq: number;
  dataType: string;
  items: number;
  /** The encoded request: sent as is on every attempt. */
  body: string;
  /** Applied to the type's state once the server acknowledged the batch. */
  after: { cursor?: string; backfillNext?: string; backfillDone?: boolean };
}

const prefix = 'healthsync:';
const outboxPrefix = `${prefix}outbox:`;
const stateKey = (t: string) => `${prefix}state:${t}`;
const outboxKey = (seq: number) => `${outboxPrefix}${String(seq).padStart(12, '0')}`;
const DAY = 86_400_000;

class BudgetSpent extends Error {}

/** The platform-free sync engine: reads changes, encodes batches into the outbox, sends, then advances. */
export class SyncEngine {
  private readonly o: Required<Omit<EngineOptions, 'onEvent'>> & Pick<EngineOptions, 'onEvent'>;
  private deadline = Infinity;
  private seq = 0;
  private lastSendMs = 0;
  private running?: Promise<SyncReport>;
  /** Types whose window was re-read in this run after an expired changes token. */
  private reread = new Set<string>();

  constructor(opts: EngineOptions) {
    this.o = {
      maxItems: 2000, maxBytes: 4 << 20, backfillDays: 730, pageSize: 2000, maxAttempts: 5, staleAfterMs: 3 * DAY,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: () => Date.now(), ...opts,
    };
  }

  /** One sync: drain the outbox, then per type backfill or read changes, until done or the budget ends. */
  syncNow(opts: { budgetMs?: number } = {}): Promise<SyncReport> {
    // One run at a time: a background wake during a foreground sync joins it.
    this.running ??= this.run(opts.budgetMs).finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(budgetMs?: number): Promise<SyncReport> {
    // Keep a margin for persisting: stop starting new work when a send would not fit.
    this.deadline = budgetMs === undefined ? Infinity : this.o.now() + budgetMs;
    this.reread.clear();
    const rep: SyncReport = { complete: true, batches: 0, items: 0, weeksSkipped: 0, weeksUploaded: 0, rejected: [] };
    const keys = (await this.o.storage.keys(outboxPrefix)).sort();
    this.seq = keys.length ? Number(keys[keys.length - 1].slice(outboxPrefix.length)) + 1 : 0;
    try {
      for (const k of keys) {
        const raw = await this.o.storage.get(k);
        if (raw) await this.deliver(JSON.parse(raw) as OutboxEntry, rep);
      }
      for (const t of this.o.types) await this.syncType(t, rep);
    } catch (e) {
      if (!(e instanceof BudgetSpent || (e instanceof SyncError && e.retryable))) throw e;
      rep.complete = false;
    }
    this.emit({ type: 'status', status: await this.status() });
    return rep;
  }

  private async syncType(t: string, rep: SyncReport): Promise<void> {
    let st = await this.state(t);
    if (st.cursor === undefined && !st.backfill) {
      // Take the platform's present first: whatever changes during the backfill is read after it.
      const now = new Date(this.o.now());
      st.backfill = { startCursor: await this.o.store.startCursor(t), next: weekStart(now, this.zone()).toISOString(),
        until: new Date(now.getTime() - this.o.backfillDays * DAY).toISOString() };
      await this.save(t, st);
    }
    if (st.backfill) {
      await this.backfill(t, st, rep);
      st = await this.state(t);
      if (st.backfill) return;
    }
    for (;;) {
      this.checkBudget();
      const page = await this.o.store.changes(t, st.cursor, this.o.pageSize);
      if (page.expired) {
        if (this.reread.has(t)) throw new Error(`healthsync: the changes token of ${t} expired again right after a re-read`);
        this.reread.add(t);
        // The changes since the token are gone: read the window again (weeks whose digest matches cost nothing).
        const since = st.lastSyncedAt ? new Date(Date.parse(st.lastSyncedAt) - DAY) : new Date(this.o.now() - 31 * DAY);
        st.backfill = { startCursor: await this.o.store.startCursor(t), next: weekStart(new Date(this.o.now()), this.zone()).toISOString(),
          until: since.toISOString() };
        st.cursor = undefined;
        await this.save(t, st);
        return this.syncType(t, rep);
      }
      const noChange = page.items.length === 0 && page.deletedIds.length === 0;
      if (noChange && page.cursor === st.cursor) break;
      await this.enqueueAndSend(t, page.items, page.deletedIds, { cursor: page.cursor }, rep, 'changes');
      st = await this.state(t);
      if (!page.more) break;
    }
  }

  private async backfill(t: string, st: TypeState, rep: SyncReport): Promise<void> {
    const bf = st.backfill!;
    const zone = this.zone();
    let next = new Date(bf.next);
    const until = new Date(bf.until);
    // The server holds nothing of the type: no digest can match, upload without asking.
    const plan = await this.o.client.post<PlanData>(JSON.stringify({ query: planQuery, variables: { device: this.o.device.id, types: [t] } }));
    const held = plan.syncPlan.types[0]?.count ?? 0;
    while (next.getTime() + 7 * DAY > until.getTime()) {
      this.checkBudget();
      // Digests of up to 26 weeks in one request, newest first.
      let oldest = next;
      for (let i = 0; i < 25 && oldest.getTime() > until.getTime(); i++) oldest = nextWeek(oldest, zone, -1);
      const server = new Map<number, { count: number; digest: string }>();
      if (held > 0) {
        const d = await this.o.client.post<DigestsData>(JSON.stringify({ query: digestsQuery, variables: {
          type: t, from: oldest.toISOString(), to: nextWeek(next, zone).toISOString(), tz: zone } }));
        for (const w of d.uploadDigests) server.set(Date.parse(w.weekStart), w);
      }
      for (let w = next; w.getTime() >= oldest.getTime(); w = nextWeek(w, zone, -1)) {
        this.checkBudget();
        const end = nextWeek(w, zone);
        const items = await this.o.store.readWindow(t, w, end);
        const prev = nextWeek(w, zone, -1);
        const done = prev.getTime() + 7 * DAY <= until.getTime();
        const after = done ? { backfillDone: true } : { backfillNext: prev.toISOString() };
        const mine = digestOf(items.map((i) => i.id));
        const theirs = server.get(w.getTime());
        if (items.length === 0 || (theirs && theirs.count === mine.count && theirs.digest === mine.digest)) {
          rep.weeksSkipped++;
          await this.advance(t, after);
        } else {
          rep.weeksUploaded++;
          await this.enqueueAndSend(t, items, [], after, rep, 'backfill');
        }
        if (done) return;
      }
      next = nextWeek(oldest, zone, -1);
    }
    await this.advance(t, { backfillDone: true });
  }

  /** Cuts items into batches within the server's limits, stores each in the outbox, then sends them in order. */
  private async enqueueAndSend(t: string, items: SyncItem[], deletions: string[], after: OutboxEntry['after'], rep: SyncReport,
    phase: 'backfill' | 'changes'): Promise<void> {
    const batches: { items: SyncItem[]; deletions: string[] }[] = [];
    let cur: { items: SyncItem[]; deletions: string[] } = { items: [], deletions: [] };
    let bytes = 0;
    const push = () => {
      if (cur.items.length || cur.deletions.length) batches.push(cur);
      cur = { items: [], deletions: [] };
      bytes = 0;
    };
    for (const it of items) {
      const size = JSON.stringify(it.input).length + 2;
      const weight = it.kind === 'series' ? Math.max(1, it.input.points.length) : 1;
      if (cur.items.length + weight > this.o.maxItems || bytes + size > this.o.maxBytes - 4096) push();
      cur.items.push(it);
      bytes += size;
    }
    for (const id of deletions) {
      if (cur.items.length + cur.deletions.length >= this.o.maxItems) push();
      cur.deletions.push(id);
    }
    push();
    if (batches.length === 0) batches.push(cur); // a cursor-only batch: the server records the position
    const entries: OutboxEntry[] = [];
    for (let i = 0; i < batches.length; i++) {
      const last = i === batches.length - 1;
      const e: OutboxEntry = { seq: this.seq++, dataType: t, items: batches[i].items.length + batches[i].deletions.length,
        body: this.encode(t, batches[i].items, batches[i].deletions, last ? after.cursor : undefined), after: last ? after : {} };
      await this.o.storage.set(outboxKey(e.seq), JSON.stringify(e));
      entries.push(e);
    }
    for (const e of entries) {
      await this.deliver(e, rep);
      this.emit({ type: 'progress', dataType: t, sent: rep.items, phase });
    }
  }

  private encode(t: string, items: SyncItem[], deletions: string[], cursor?: string): string {
    const input: Record<string, unknown> = { idempotencyKey: uuid(), provider: this.o.store.provider, device: this.o.device };
    const of = <K extends SyncItem['kind']>(k: K) => items.filter((i) => i.kind === k).map((i) => i.input);
    const samples = of('sample'), series = of('series'), cats = of('category'), wos = of('workout');
    if (samples.length) input.samples = samples;
    if (series.length) input.seriesSamples = series;
    if (cats.length) input.categorySamples = cats;
    if (wos.length) input.workouts = wos;
    if (deletions.length) input.deletions = deletions;
    if (cursor !== undefined) input.cursors = [{ type: t, cursor }];
    return JSON.stringify({ query: ingestMutation, variables: { input } });
  }

  /** Sends an outbox entry until acknowledged (same bytes every time), then applies its state change and drops it. */
  private async deliver(e: OutboxEntry, rep: SyncReport): Promise<void> {
    let res: IngestResult | undefined;
    for (let attempt = 1; !res; attempt++) {
      this.checkBudget();
      const started = this.o.now();
      try {
        res = (await this.o.client.post<IngestData>(e.body)).ingestBatch;
      } catch (err) {
        if (!(err instanceof SyncError)) throw err;
        const willRetry = err.retryable && attempt < this.o.maxAttempts;
        this.emit({ type: 'error', dataType: e.dataType, code: err.code, message: err.message, willRetry });
        await this.noteError(e.dataType, `${err.code}: ${err.message}`);
        if (!err.retryable) {
          // The server will refuse these bytes whatever we do: keep them aside for the app, do not block the type.
          await this.o.storage.set(`${prefix}dead:${e.seq}`, JSON.stringify({ ...e, error: err.code }));
          await this.o.storage.remove(outboxKey(e.seq));
          return;
        }
        if (!willRetry) throw err;
        // Full jitter over an exponential step; the server's Retry-After wins when longer.
        const wait = Math.max(err.retryAfterMs ?? 0, Math.random() * Math.min(10_000, 200 * 2 ** attempt));
        if (this.o.now() + wait > this.deadline) throw new BudgetSpent();
        await this.o.sleep(wait);
      } finally {
        this.lastSendMs = Math.max(this.lastSendMs * 0.7, this.o.now() - started);
      }
    }
    rep.batches++;
    rep.items += e.items;
    if (res.rejected.length) {
      rep.rejected.push(...res.rejected);
      this.emit({ type: 'rejected', dataType: e.dataType, rejections: res.rejected });
    }
    if (res.accepted + res.updated > 0) await this.advance(e.dataType, {}, true);
    await this.advance(e.dataType, e.after);
    await this.o.storage.remove(outboxKey(e.seq));
  }

  /** Applies an acknowledged batch's position (or a skipped week) to the type's state. */
  private async advance(t: string, after: OutboxEntry['after'], gotData = false): Promise<void> {
    const st = await this.state(t);
    const now = new Date(this.o.now()).toISOString();
    if (after.cursor !== undefined) st.cursor = after.cursor;
    if (after.backfillNext && st.backfill) st.backfill.next = after.backfillNext;
    if (after.backfillDone && st.backfill) {
      st.cursor = st.backfill.startCursor;
      st.backfill = undefined;
    }
    if (gotData) st.lastDataAt = now;
    st.lastSyncedAt = now;
    st.lastError = undefined;
    await this.save(t, st);
  }

  private checkBudget(): void {
    // A send that would not end before the deadline is not started: the wake ends with everything persisted.
    if (this.o.now() + this.lastSendMs * 1.5 > this.deadline) throw new BudgetSpent();
  }

  /** Per type: last synced, pending items in the outbox, last error, and whether the permission looks revoked. */
  async status(): Promise<TypeStatus[]> {
    const pending = new Map<string, number>();
    for (const k of await this.o.storage.keys(outboxPrefix)) {
      const raw = await this.o.storage.get(k);
      if (!raw) continue;
      const e = JSON.parse(raw) as OutboxEntry;
      pending.set(e.dataType, (pending.get(e.dataType) ?? 0) + e.items);
    }
    const out: TypeStatus[] = [];
    for (const t of this.o.types) {
      const st = await this.state(t);
      const quiet = st.lastDataAt !== undefined && this.o.now() - Date.parse(st.lastDataAt) > this.o.staleAfterMs;
      out.push({ type: t, lastSyncedAt: st.lastSyncedAt, pendingItems: pending.get(t) ?? 0, lastError: st.lastError,
        backfillComplete: st.cursor !== undefined && !st.backfill, possiblyRevoked: quiet && st.lastSyncedAt !== undefined });
    }
    return out;
  }

  private zone(): string {
    return this.o.device.timeZone ?? 'UTC';
  }

  private async state(t: string): Promise<TypeState> {
    const raw = await this.o.storage.get(stateKey(t));
    return raw ? (JSON.parse(raw) as TypeState) : {};
  }

  private save(t: string, st: TypeState): Promise<void> {
    return this.o.storage.set(stateKey(t), JSON.stringify(st));
  }

  private async noteError(t: string, msg: string): Promise<void> {
    const st = await this.state(t);
    st.lastError = msg;
    await this.save(t, st);
  }

  private emit(e: SyncEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      // A listener's bug must not stop the sync.
    }
  }
}

/** A random version 4 UUID (crypto.randomUUID is not in every React Native runtime). */
export function uuid(): string {
  const h = '0123456789abcdef';
  let s = '';
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) s += '-';
    else if (i === 14) s += '4';
    else if (i === 19) s += h[8 + Math.floor(Math.random() * 4)];
    else s += h[Math.floor(Math.random() * 16)];
  }
  return s;
}
