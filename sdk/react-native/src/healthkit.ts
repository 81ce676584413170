// HealthKit through @kingstinct/react-native-healthkit: anchored queries per type (samples and deleted objects
// in one answer), date-window queries for the backfill, and change subscriptions for background delivery.
// The library is passed in (import * as HealthKit from '@kingstinct/react-native-healthkit'), so the engine and
// its tests never load native code; the types below are the library's own, so an upgrade that changes them
// breaks `tsc --noEmit`.
import type * as HK from '@kingstinct/react-native-healthkit';
import type { CategoryTypeIdentifier, QuantityTypeIdentifier, SampleTypeIdentifier } from '@kingstinct/react-native-healthkit';
import type { ChangePage, HealthStore, Metadata, SourceInput, SyncItem, WorkoutInput } from './types';

export type HealthKitModule = Pick<typeof HK, 'queryQuantitySamplesWithAnchor' | 'queryCategorySamplesWithAnchor' |
  'queryWorkoutSamplesWithAnchor' | 'requestAuthorization' | 'subscribeToChanges' | 'enableBackgroundDelivery'>;

type HKQuantitySample = HK.QuantitySample;
type HKCategorySample = HK.CategorySample;
type HKWorkout = HK.WorkoutSample;
type HKObject = Pick<HK.BaseSample, 'sourceRevision' | 'device'> & { metadata?: HK.BaseSample['metadata'] };

export const WORKOUT_TYPE = 'HKWorkoutTypeIdentifier';

const isQuantity = (t: string): t is QuantityTypeIdentifier => t.startsWith('HKQuantityTypeIdentifier');
const isCategory = (t: string): t is CategoryTypeIdentifier => t.startsWith('HKCategoryTypeIdentifier');

/** The sample's source revision and device as the server's SourceInput. */
export function hkSource(o: HKObject): SourceInput {
  const r = o.sourceRevision;
  const d = o.device;
  return {
    name: r.source.name || r.source.bundleIdentifier || 'unknown',
    bundleId: r.source.bundleIdentifier || undefined,
    version: r.version,
    productType: r.productType,
    deviceName: d?.name,
    deviceModel: d?.model,
    deviceManufacturer: d?.manufacturer,
    hardwareVersion: d?.hardwareVersion,
    softwareVersion: d?.softwareVersion ?? r.operatingSystemVersion,
  };
}

/** Metadata as JSON: dates as RFC 3339, quantities as "value unit", nested objects dropped. */
export function hkMetadata(m: unknown): Metadata | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const out: Metadata = {};
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
    if (v instanceof Date) out[k] = v.toISOString();
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (v && typeof v === 'object' && 'quantity' in v && 'unit' in v) out[k] = `${(v as { quantity: number }).quantity} ${(v as { unit: string }).unit}`;
  }
  return Object.keys(out).length ? out : undefined;
}

export function hkQuantityItem(s: HKQuantitySample): SyncItem {
  const start = s.startDate.toISOString();
  return { kind: 'sample', id: s.uuid, start, input: { id: s.uuid, type: s.quantityType, value: s.quantity, unit: s.unit,
    start, end: s.endDate.toISOString(), source: hkSource(s), metadata: hkMetadata(s.metadata) } };
}

export function hkCategoryItem(s: HKCategorySample): SyncItem {
  const start = s.startDate.toISOString();
  return { kind: 'category', id: s.uuid, start, input: { id: s.uuid, type: s.categoryType, value: String(s.value), start,
    end: s.endDate.toISOString(), source: hkSource(s), metadata: hkMetadata(s.metadata) } };
}

export function hkWorkoutItem(w: HKWorkout): SyncItem {
  const start = w.startDate.toISOString();
  const q = (x?: HK.Quantity) => (x ? { value: x.quantity, unit: x.unit } : undefined);
  const seconds = w.duration.unit === 's' ? w.duration.quantity : w.duration.unit === 'min' ? w.duration.quantity * 60 : undefined;
  return { kind: 'workout', id: w.uuid, start, input: { id: w.uuid, activityType: String(w.workoutActivityType), start,
    end: w.endDate.toISOString(), durationSeconds: seconds, energy: q(w.totalEnergyBurned), distance: q(w.totalDistance),
    source: hkSource(w), metadata: hkMetadata(w.metadata), ...hkWorkoutParts(w) } };
}

const LAP_EVENT = 3; // HKWorkoutEventType.lap

/**
 * The workout's events and activities as the server's segments, laps and events: lap events with a duration
 * become laps (unless they overlap, which the server refuses for laps), two or more activities (a multisport or
 * interval workout) become segments, the other events stay events. Anything outside the workout is left out,
 * since the server would refuse the whole workout for it.
 */
export function hkWorkoutParts(w: Pick<HKWorkout, 'startDate' | 'endDate' | 'events' | 'activities'>): Pick<WorkoutInput, 'segments' | 'laps' | 'events'> {
  const inside = (s: Date, e: Date) => s >= w.startDate && e <= w.endDate && e >= s;
  const evs = (w.events ?? []).filter((e) => inside(e.startDate, e.endDate));
  let laps = evs.filter((e) => e.type === LAP_EVENT && e.endDate > e.startDate)
    .sort((a, b) => a.startDate.getTime() - b.startDate.getTime());
  if (laps.some((l, i) => i > 0 && l.startDate < laps[i - 1].endDate)) laps = [];
  const events = evs.filter((e) => !laps.includes(e)).map((e) => ({ type: String(e.type), start: e.startDate.toISOString(),
    end: e.endDate > e.startDate ? e.endDate.toISOString() : undefined }));
  const acts = w.activities ?? [];
  const segments = acts.length >= 2 && acts.every((a) => inside(a.startDate, a.endDate))
    ? acts.map((a) => ({ start: a.startDate.toISOString(), end: a.endDate.toISOString(), type: String(a.activityType) }))
    : [];
  return {
    segments: segments.length ? segments : undefined,
    laps: laps.length ? laps.map((l) => ({ start: l.startDate.toISOString(), end: l.endDate.toISOString() })) : undefined,
    events: events.length ? events : undefined,
  };
}

/** A HealthStore over HealthKit. Types are HealthKit identifiers (quantity, category) or HKWorkoutTypeIdentifier. */
export function healthKitStore(hk: HealthKitModule): HealthStore {
  const anchored = async (type: string, anchor: string | undefined, limit: number, filter?: HK.FilterForSamples) => {
    if (isQuantity(type)) {
      const r = await hk.queryQuantitySamplesWithAnchor(type, { anchor, limit, filter });
      return { items: r.samples.map(hkQuantityItem), deleted: r.deletedSamples, anchor: r.newAnchor };
    }
    if (isCategory(type)) {
      const r = await hk.queryCategorySamplesWithAnchor(type, { anchor, limit, filter });
      return { items: r.samples.map((s) => hkCategoryItem(s as HKCategorySample)), deleted: r.deletedSamples, anchor: r.newAnchor };
    }
    if (type === WORKOUT_TYPE) {
      const r = await hk.queryWorkoutSamplesWithAnchor({ anchor, limit, filter });
      return { items: r.workouts.map((w) => hkWorkoutItem(w as unknown as HKWorkout)), deleted: r.deletedSamples, anchor: r.newAnchor };
    }
    throw new Error(`healthsync: unsupported HealthKit type ${type}`);
  };
  return {
    provider: 'APPLE_HEALTH',
    async requestPermissions(types) {
      await hk.requestAuthorization({ toRead: types as SampleTypeIdentifier[] });
      // HealthKit never tells whether reading was granted; a type that stays empty is reported as possibly revoked.
      return types;
    },
    async changes(type, cursor, limit): Promise<ChangePage> {
      const r = await anchored(type, cursor, limit);
      return { items: r.items, deletedIds: r.deleted.map((d) => d.uuid), cursor: r.anchor,
        more: r.items.length + r.deleted.length >= limit };
    },
    async startCursor(type) {
      // An anchored query over an empty future window still answers the store's current anchor.
      const now = new Date();
      const r = await anchored(type, undefined, 1, { date: { startDate: now, endDate: new Date(now.getTime() + 1) } });
      return r.anchor;
    },
    async readWindow(type, from, to) {
      const r = await anchored(type, undefined, 0, { date: { startDate: from, endDate: to } });
      return r.items.filter((i) => i.start >= from.toISOString() && i.start < to.toISOString());
    },
    subscribe(types, onChange) {
      const subs = types.map((t) => hk.subscribeToChanges(t as SampleTypeIdentifier, () => onChange(t)));
      return () => subs.forEach((s) => s.remove());
    },
  };
}
