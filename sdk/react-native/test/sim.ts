// Simulated platform stores: a change log per type (upserts and deletions, in order) like HealthKit's anchors
// and Health Connect's changes tokens. Data is dated relative to the clock, never to a fixed day.
import type { ChangePage, HealthStore, Provider, SourceInput, SyncItem } from '../src/types';

const watch: SourceInput = { name: 'Apple Watch', bundleId: 'com.apple.health.W1', productType: 'Watch6,7', deviceModel: 'Watch' };
const phone: SourceInput = { name: 'iPhone', bundleId: 'com.apple.health.P1', productType: 'iPhone15,2', deviceModel: 'iPhone' };

export const HR = 'HKQuantityTypeIdentifierHeartRate';
export const STEPS = 'HKQuantityTypeIdentifierStepCount';

let counter = 0;
/** A UUID that is unique within the test process, upper-case like HealthKit's. */
export function simUUID(): string {
  const n = (counter++).toString(16).padStart(12, '0');
  const r = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
  return `${r}-0000-4000-8000-${n}`.toUpperCase();
}

interface Entry { seq: number; id: string; item?: SyncItem }

export class SimStore implements HealthStore {
  readonly items = new Map<string, Map<string, SyncItem>>();
  private readonly log = new Map<string, Entry[]>();
  private seq = 0;
  /** Health Connect: changes tokens older than this sequence number are expired. */
  expiredBefore = -1;
  reads = 0;

  /** Health Connect after ~30 days without a sync: every token handed out so far is expired; new ones work. */
  expireTokens(): void {
    this.expiredBefore = this.seq;
  }

  constructor(readonly provider: Provider = 'APPLE_HEALTH') {}

  add(type: string, item: SyncItem): void {
    if (!this.items.has(type)) this.items.set(type, new Map());
    this.items.get(type)!.set(item.id, item);
    this.append(type, { seq: ++this.seq, id: item.id, item });
  }

  remove(type: string, id: string): void {
    this.items.get(type)?.delete(id);
    this.append(type, { seq: ++this.seq, id });
  }

  private append(type: string, e: Entry): void {
    if (!this.log.has(type)) this.log.set(type, []);
    this.log.get(type)!.push(e);
  }

  /** A HealthKit-style quantity sample. */
  quantity(type: string, at: Date, value: number, unit: string, fromWatch: boolean, minutes = 0): SyncItem {
    const id = simUUID();
    const start = at.toISOString();
    return { kind: 'sample', id, start, input: { id, type, value, unit, start,
      end: new Date(at.getTime() + minutes * 60_000).toISOString(), source: fromWatch ? watch : phone } };
  }

  /** Watch heart rate every 5 minutes and phone + watch steps every hour over [from, to). */
  fill(from: Date, to: Date): void {
    for (let t = from.getTime(); t < to.getTime(); t += 5 * 60_000) {
      const d = new Date(t);
      this.add(HR, this.quantity(HR, d, 55 + ((t / 60_000) % 40), 'count/min', true));
      if (t % 3_600_000 < 5 * 60_000) {
        this.add(STEPS, this.quantity(STEPS, d, 100 + Math.floor(t / 3_600_000) % 500, 'count', false, 60));
        this.add(STEPS, this.quantity(STEPS, d, 50 + Math.floor(t / 3_600_000) % 300, 'count', true, 60));
      }
    }
  }

  ids(type: string): string[] {
    return [...(this.items.get(type)?.keys() ?? [])];
  }

  total(type: string): number {
    let s = 0;
    for (const i of this.items.get(type)?.values() ?? []) if (i.kind === 'sample') s += i.input.value;
    return s;
  }

  async requestPermissions(types: string[]): Promise<string[]> {
    return types;
  }

  async changes(type: string, cursor: string | undefined, limit: number): Promise<ChangePage> {
    this.reads++;
    const after = cursor === undefined ? 0 : Number(cursor);
    if (cursor !== undefined && after < this.expiredBefore) return { items: [], deletedIds: [], cursor, more: false, expired: true };
    const log = (this.log.get(type) ?? []).filter((e) => e.seq > after);
    const page = log.slice(0, limit);
    const next = page.length ? page[page.length - 1].seq : Math.max(after, this.seq);
    return { items: page.filter((e) => e.item && this.items.get(type)?.get(e.id) === e.item).map((e) => e.item!),
      deletedIds: page.filter((e) => !e.item).map((e) => e.id), cursor: String(next), more: log.length > limit };
  }

  async startCursor(_type: string): Promise<string> {
    return String(this.seq);
  }

  async readWindow(type: string, from: Date, to: Date): Promise<SyncItem[]> {
    this.reads++;
    const a = from.toISOString(), b = to.toISOString();
    return [...(this.items.get(type)?.values() ?? [])].filter((i) => i.start >= a && i.start < b);
  }
}
