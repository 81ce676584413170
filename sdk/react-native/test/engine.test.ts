// The sync engine against the real healthsync server and simulated stores: a year from empty, faults, deletions,
// an expired Health Connect token, a reinstall on a new phone, a token refreshed mid-sync. Each case prints a
// line `SDK-METRIC ...` with its numbers (the README's table is taken from them).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '../src/client';
import type { FetchLike } from '../src/client';
import { digestOf, nextWeek, weekStart } from '../src/digest';
import { SyncEngine } from '../src/engine';
import type { EngineOptions, SyncEvent } from '../src/engine';
import type { Storage } from '../src/storage';
import { fileStorage } from './filestorage';
import { backdatedToken, Server, serverDigests, serverTotal } from './harness';
import { HR, SimStore, STEPS } from './sim';

const DAY = 86_400_000;
const realFetch = fetch as unknown as FetchLike;
const metric = (line: string) => console.log(`SDK-METRIC ${line}`);

let server: Server;
before(async () => {
  server = new Server();
  await server.start();
});
after(async () => {
  await server?.stop();
});

/** The clock's present cut to the minute, minus an hour: the newest simulated data is never in the server's future. */
const recent = () => new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000);

function engine(user: string, store: SimStore, storage: Storage, o: Partial<EngineOptions> & { fetchFn?: FetchLike; deviceId?: string } = {}) {
  const client = new Client(server.endpoint, async () => server.token(user), o.fetchFn ?? realFetch);
  return new SyncEngine({ store, client, storage, device: { id: o.deviceId ?? 'phone-1', model: 'iPhone15,2', timeZone: 'UTC' },
    types: [HR, STEPS], maxItems: 1000, sleep: async (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))), ...o });
}

const newStorage = () => fileStorage(mkdtempSync(join(tmpdir(), 'hs-sdk-store-')));

/** Lost and doubled samples of a type: the server's distinct ids against the store's, week by week, and counts. */
async function compare(user: string, store: SimStore, type: string, from: Date, to: Date, deleted: string[] = []) {
  const c = server.client(user);
  const theirs = await serverDigests(c, type, weekStart(from), nextWeek(weekStart(to)));
  const byWeek = new Map<number, string[]>();
  const items = store.items.get(type) ?? new Map();
  for (const id of [...store.ids(type), ...deleted]) {
    const start = items.get(id)?.start ?? deletedStarts.get(id)!;
    const w = weekStart(new Date(start)).getTime();
    if (!byWeek.has(w)) byWeek.set(w, []);
    byWeek.get(w)!.push(id);
  }
  let mismatchedWeeks = 0;
  for (const [w, ids] of byWeek) {
    const mine = digestOf(ids);
    const s = theirs.get(w);
    if (!s || s.digest !== mine.digest) mismatchedWeeks++;
  }
  const m = type === HR ? 'heart_rate' : 'steps';
  const total = await serverTotal(c, m, from, nextWeek(weekStart(to)));
  const local = store.ids(type).length;
  return { mismatchedWeeks, lost: Math.max(0, local - total.count), doubled: Math.max(0, total.count - local),
    sumDiff: Math.abs(total.sum - store.total(type)) };
}
const deletedStarts = new Map<string, string>();

async function assertExact(user: string, store: SimStore, from: Date, to: Date, label: string, deleted: string[] = []) {
  for (const t of [HR, STEPS]) {
    const r = await compare(user, store, t, from, to, t === HR ? deleted : []);
    metric(`case="${label}" type=${t} lost=${r.lost} doubled=${r.doubled} mismatched_weeks=${r.mismatchedWeeks}`);
    assert.equal(r.lost, 0, `${label} ${t}: lost`);
    assert.equal(r.doubled, 0, `${label} ${t}: doubled`);
    assert.equal(r.mismatchedWeeks, 0, `${label} ${t}: weeks whose ids differ`);
    assert.ok(r.sumDiff < 1e-6 * Math.max(1, store.total(t)), `${label} ${t}: totals differ by ${r.sumDiff}`);
  }
}

async function outboxSize(storage: Storage) {
  return (await storage.keys('healthsync:outbox:')).length;
}

describe('sync engine against the real server', () => {
  it('syncs a year of watch and phone data from empty: exactly the store ids, equal totals', async () => {
    const store = new SimStore();
    const to = recent(), from = new Date(to.getTime() - 365 * DAY);
    store.fill(from, to);
    const storage = newStorage();
    const t0 = Date.now();
    const rep = await engine('year', store, storage, { maxItems: 5000 }).syncNow();
    const ms = Date.now() - t0;
    const n = store.ids(HR).length + store.ids(STEPS).length;
    metric(`case="first sync, 1 year" samples=${n} batches=${rep.batches} ms=${ms} samples_per_s=${Math.round(n / (ms / 1000))}`);
    assert.ok(rep.complete);
    assert.equal(rep.items, n);
    assert.equal(await outboxSize(storage), 0);
    await assertExact('year', store, from, to, 'first sync, 1 year');
    // A second sync finds nothing new and sends nothing.
    const again = await engine('year', store, storage).syncNow();
    assert.equal(again.items, 0);
  });

  it('survives the server killed mid-upload: 0 lost, 0 doubled, outbox empty', async () => {
    const store = new SimStore();
    const to = recent(), from = new Date(to.getTime() - 21 * DAY);
    store.fill(from, to);
    const storage = newStorage();
    let posts = 0;
    const killing: FetchLike = async (url, init) => {
      if (init.body.includes('ingestBatch') && ++posts === 4) {
        const p = realFetch(url, init);
        setTimeout(() => void server.kill(), 20);
        return p;
      }
      return realFetch(url, init);
    };
    const first = await engine('killed', store, storage, { fetchFn: killing, maxAttempts: 3 }).syncNow();
    assert.equal(first.complete, false, 'the sync must notice the dead server');
    await server.start();
    const second = await engine('killed', store, storage).syncNow();
    assert.ok(second.complete);
    assert.equal(await outboxSize(storage), 0);
    await assertExact('killed', store, from, to, 'server killed mid-upload');
  });

  it('resends the same bytes when the connection is cut after the commit', async () => {
    const store = new SimStore();
    const to = recent(), from = new Date(to.getTime() - 21 * DAY);
    store.fill(from, to);
    const storage = newStorage();
    let posts = 0, cut = 0;
    const sent = new Map<string, number>();
    const cutting: FetchLike = async (url, init) => {
      sent.set(init.body, (sent.get(init.body) ?? 0) + 1);
      const res = await realFetch(url, init);
      if (init.body.includes('ingestBatch') && ++posts % 3 === 0) {
        await res.text(); // committed and answered; the answer never reaches the app
        cut++;
        throw new Error('socket hang up');
      }
      return res;
    };
    const rep = await engine('cut', store, storage, { fetchFn: cutting }).syncNow();
    assert.ok(rep.complete);
    assert.ok(cut >= 3);
    assert.ok([...sent.values()].some((n) => n > 1), 'a retry sends the identical body');
    assert.equal(await outboxSize(storage), 0);
    metric(`case="connection cut after commit" cuts=${cut}`);
    await assertExact('cut', store, from, to, 'connection cut after commit');
  });

  it('re-sends after the app is killed between the upload and saving the anchor', async () => {
    const store = new SimStore();
    const to = recent(), from = new Date(to.getTime() - 21 * DAY);
    store.fill(from, to);
    const disk = newStorage();
    let acked = 0;
    let dead = false;
    // The process dies on its 5th state write after an acknowledged upload: nothing more reaches the disk.
    const dying: Storage = { ...disk,
      set: async (k, v) => {
        if (dead) throw new Error('process killed');
        if (k.startsWith('healthsync:state:') && ++acked === 5) {
          dead = true;
          throw new Error('process killed');
        }
        return disk.set(k, v);
      },
      remove: async (k) => {
        if (dead) throw new Error('process killed');
        return disk.remove(k);
      } };
    await assert.rejects(engine('appkill', store, dying).syncNow(), /process killed/);
    assert.ok((await outboxSize(disk)) > 0, 'the unacknowledged batch stays in the outbox');
    const rep = await engine('appkill', store, disk).syncNow();
    assert.ok(rep.complete);
    assert.equal(await outboxSize(disk), 0);
    await assertExact('appkill', store, from, to, 'app killed before saving the anchor');
  });

  it('stops cleanly when the wake budget runs out mid-backfill and finishes over later wakes', async () => {
    const store = new SimStore();
    const to = recent(), from = new Date(to.getTime() - 28 * DAY);
    store.fill(from, to);
    const storage = newStorage();
    let wakes = 0, complete = false;
    while (!complete && wakes < 300) {
      wakes++;
      const t0 = Date.now();
      const rep = await engine('budget', store, storage, { maxItems: 500 }).syncNow({ budgetMs: 400 });
      complete = rep.complete;
      // The engine stops before the budget, not after it (the margin is one send; a loaded machine gets slack).
      assert.ok(Date.now() - t0 < 400 + 3000, `wake ${wakes} overran: ${Date.now() - t0} ms`);
    }
    assert.ok(complete && wakes > 1, `needed ${wakes} wakes`);
    assert.equal(await outboxSize(storage), 0);
    metric(`case="wake budget 400 ms" wakes=${wakes}`);
    await assertExact('budget', store, from, to, 'wake budget ran out mid-backfill');
  });

  it('sends deletions, and an expired Health Connect token re-reads the window', async () => {
    const store = new SimStore();
    const to = recent(), from = new Date(to.getTime() - 14 * DAY);
    store.fill(from, to);
    const storage = newStorage();
    await engine('del', store, storage).syncNow();
    const gone = store.ids(HR).slice(100, 125);
    for (const id of gone) {
      deletedStarts.set(id, store.items.get(HR)!.get(id)!.start);
      store.remove(HR, id);
    }
    const rep = await engine('del', store, storage).syncNow();
    assert.ok(rep.complete);
    await assertExact('del', store, from, to, 'deletions', gone);

    // Health Connect: new records, then every changes token expires (30 days without a sync).
    const fresh = [];
    for (let i = 0; i < 30; i++) {
      const it = store.quantity(HR, new Date(to.getTime() - i * 60_000 - 30_000), 70, 'count/min', true);
      store.add(HR, it);
      fresh.push(it);
    }
    store.expireTokens();
    const r2 = await engine('del', store, storage).syncNow();
    assert.ok(r2.complete);
    assert.ok(r2.weeksUploaded >= 1 && r2.weeksUploaded <= 2, `re-read uploaded ${r2.weeksUploaded} weeks`);
    metric(`case="expired changes token" weeks_uploaded=${r2.weeksUploaded} weeks_skipped=${r2.weeksSkipped} items_resent=${r2.items}`);
    await assertExact('del', store, from, to, 'expired changes token', gone);
  });

  it('a reinstall on a new phone with 2 years on the server uploads under 1% again', async () => {
    const store = new SimStore();
    const to = recent(), from = new Date(to.getTime() - 728 * DAY);
    store.fill(from, to);
    await engine('reinstall', store, newStorage(), { maxItems: 5000, deviceId: 'old-phone' }).syncNow();
    // The new phone restores the same HealthKit history (same UUIDs) and records a little more.
    for (let i = 1; i <= 20; i++) store.add(HR, store.quantity(HR, new Date(to.getTime() + i * 1000), 80, 'count/min', true));
    const total = store.ids(HR).length + store.ids(STEPS).length;
    const t0 = Date.now();
    const rep = await engine('reinstall', store, newStorage(), { maxItems: 5000, deviceId: 'new-phone' }).syncNow();
    const fraction = rep.items / total;
    metric(`case="reinstall, 2 years" samples=${total} uploaded=${rep.items} fraction=${fraction.toFixed(5)} weeks_skipped=${rep.weeksSkipped} weeks_uploaded=${rep.weeksUploaded} ms=${Date.now() - t0}`);
    assert.ok(rep.complete);
    assert.ok(fraction < 0.01, `uploaded ${rep.items} of ${total}`);
    await assertExact('reinstall', store, from, to, 'reinstall');
  });

  it('refreshes a token that expires mid-sync through the token provider', async () => {
    const store = new SimStore();
    const to = recent(), from = new Date(to.getTime() - 7 * DAY);
    store.fill(from, to);
    const calls: boolean[] = [];
    // The first token is 27 s past its expiry: still inside the server's 30 s of clock skew, refused 3 s later.
    const client = new Client(server.endpoint, async ({ forceRefresh }) => {
      calls.push(forceRefresh);
      return calls.length === 1 ? backdatedToken(server, 'refresh', -27_000) : server.token('refresh');
    }, async (url, init) => {
      if (init.body.includes('ingestBatch') && calls.length === 1) await new Promise((r) => setTimeout(r, 1500));
      return realFetch(url, init);
    });
    const storage = newStorage();
    const rep = await new SyncEngine({ store, client, storage, device: { id: 'p', timeZone: 'UTC' }, types: [HR, STEPS],
      maxItems: 500 }).syncNow();
    assert.ok(rep.complete);
    assert.ok(calls.includes(true), `the provider was never asked to refresh: ${calls}`);
    metric(`case="token expired mid-sync" provider_calls=${calls.length}`);
    await assertExact('refresh', store, from, to, 'token refresh');
  });

  it('hands per-item rejections to the app as data, waits out a 429, sets aside a refused batch, flags a quiet type', async () => {
    const store = new SimStore();
    const to = recent(), from = new Date(to.getTime() - 2 * DAY);
    store.fill(from, to);
    // A heart rate no heart beats at: the real server refuses this one item and stores the rest of its batch.
    const impossible = store.quantity(HR, new Date(to.getTime() - 90_000), 5000, 'count/min', true);
    store.add(HR, impossible);
    const storage = newStorage();
    const events: SyncEvent[] = [];
    const waits: number[] = [];
    let ingests = 0;
    // The first upload is answered 429 with Retry-After by a proxy in front of the server; the rest reach it.
    const limited: FetchLike = async (url, init) => {
      if (init.body.includes('ingestBatch') && ++ingests === 1) {
        return { status: 429, headers: { get: (h: string) => (h.toLowerCase() === 'retry-after' ? '2' : null) },
          text: async () => JSON.stringify({ errors: [{ message: 'rate limited', extensions: { code: 'RATE_LIMITED' } }] }) };
      }
      return realFetch(url, init);
    };
    let offset = 0;
    const e = engine('rejects', store, storage, { fetchFn: limited, onEvent: (ev) => events.push(ev),
      sleep: async (ms) => { waits.push(ms); }, now: () => Date.now() + offset });
    const rep = await e.syncNow();
    assert.ok(rep.complete);
    assert.equal(rep.rejected.length, 1, `rejections: ${JSON.stringify(rep.rejected)}`);
    const same = (id?: string | null) => id?.toLowerCase() === impossible.id.toLowerCase(); // the server answers ids lower-cased
    assert.ok(same(rep.rejected[0].id), `rejected ${rep.rejected[0].id}, want ${impossible.id}`);
    assert.ok(rep.rejected[0].code, 'a rejection carries its code');
    assert.ok(events.some((ev) => ev.type === 'rejected' && ev.rejections.some((r) => same(r.id))),
      'the app hears of the rejected item through an event');
    assert.ok(waits.length >= 1 && waits[0] >= 2000, `the 429's Retry-After (2 s) was not waited out: ${waits}`);
    assert.ok(events.some((ev) => ev.type === 'error' && ev.code === 'RATE_LIMITED' && ev.willRetry));
    assert.equal(await outboxSize(storage), 0);
    store.remove(HR, impossible.id); // the server never held it: compare the rest
    await assertExact('rejects', store, from, to, 'per-item rejection and 429');
    metric(`case="per-item rejection and 429" rejected=${rep.rejected.length} retry_after_wait_ms=${Math.round(waits[0])}`);

    // A batch the server refuses as a whole (BAD_USER_INPUT) is sent once, set aside for the app, and does not block.
    store.add(STEPS, store.quantity(STEPS, new Date(to.getTime() - 30_000), 12, 'count', false));
    const refusedPosts = new Map<string, number>(); // body -> times sent (each type sends its own batch)
    const refusing: FetchLike = async (url, init) => {
      if (init.body.includes('ingestBatch')) {
        refusedPosts.set(init.body, (refusedPosts.get(init.body) ?? 0) + 1);
        return { status: 200, headers: { get: () => null },
          text: async () => JSON.stringify({ errors: [{ message: 'bad input', extensions: { code: 'BAD_USER_INPUT' } }] }) };
      }
      return realFetch(url, init);
    };
    const r2 = await engine('rejects', store, storage, { fetchFn: refusing, sleep: async (ms) => { waits.push(ms); } }).syncNow();
    assert.ok(refusedPosts.size >= 1 && [...refusedPosts.values()].every((n) => n === 1),
      `a BAD_USER_INPUT batch is sent once: ${[...refusedPosts.values()]}`);
    assert.equal(r2.batches, 0);
    assert.equal(await outboxSize(storage), 0);
    assert.equal((await storage.keys('healthsync:dead:')).length, refusedPosts.size, 'each refused batch is kept aside for the app');

    // Four days later nothing new has arrived: the types that used to bring data look revoked.
    offset = 4 * DAY;
    const quiet = await e.status();
    assert.ok(quiet.every((s) => s.possiblyRevoked), `status after 4 quiet days: ${JSON.stringify(quiet)}`);
    offset = 0;
    assert.ok((await e.status()).every((s) => !s.possiblyRevoked));
  });
});
