// Health Connect through react-native-health-connect: getChanges with a changes token (upserts and deletions),
// readRecords with page tokens for the backfill. Records carry metadata.id (the id the server keys them by) and
// clientRecordVersion / lastModifiedTime (a higher version replaces the stored record). The library is passed in
// and typed by its own published definitions.
import type * as HC from 'react-native-health-connect';
import type { HealthConnectRecordResult } from 'react-native-health-connect/lib/typescript/types/results.types';
import type { RecordType } from 'react-native-health-connect/lib/typescript/types/records.types';
import type { ChangePage, HealthStore, SourceInput, SyncItem } from './types';

export type HealthConnectModule = Pick<typeof HC, 'getChanges' | 'readRecords' | 'requestPermission' | 'initialize'>;

/** The record types the adapter maps. */
export const HEALTH_CONNECT_TYPES = ['Steps', 'HeartRate', 'RestingHeartRate', 'Distance', 'ActiveCaloriesBurned',
  'TotalCaloriesBurned', 'Weight', 'SleepSession', 'ExerciseSession'] as const;
export type SupportedRecordType = (typeof HEALTH_CONNECT_TYPES)[number];

type Meta = NonNullable<HealthConnectRecordResult['metadata']>;

/** Metres per unit of react-native-health-connect's Length. */
const LENGTH_IN_METRES: Record<string, number> = { meters: 1, kilometers: 1000, miles: 1609.344, inches: 0.0254, feet: 0.3048 };

/** A lap's length in metres; undefined when absent or in a unit the table lacks (the lap still goes). */
function lapLength(l: { value: number; unit: string } | undefined): { value: number; unit: string } | undefined {
  const f = l ? LENGTH_IN_METRES[l.unit] : undefined;
  return l && f !== undefined && Number.isFinite(l.value) ? { value: l.value * f, unit: 'm' } : undefined;
}

export function hcSource(m: Meta | undefined): SourceInput {
  return { name: m?.dataOrigin || 'unknown', bundleId: m?.dataOrigin || undefined, deviceManufacturer: m?.device?.manufacturer,
    deviceModel: m?.device?.model };
}

/** clientRecordVersion when the writing app sets one, else lastModifiedTime in milliseconds: both only grow. */
export function hcVersion(m: Meta | undefined): number | undefined {
  if (m?.clientRecordVersion) return m.clientRecordVersion;
  const t = m?.lastModifiedTime ? Date.parse(m.lastModifiedTime) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

/** One record as the server's input; undefined for a type the adapter does not map or a record without an id. */
export function hcItems(r: HealthConnectRecordResult): SyncItem[] {
  const id = r.metadata?.id;
  if (!id) return [];
  const source = hcSource(r.metadata);
  const version = hcVersion(r.metadata);
  const interval = (type: string, value: number, unit: string, start: string, end: string): SyncItem[] =>
    [{ kind: 'sample', id, start, input: { id, type, value, unit, start, end, source, version } }];
  switch (r.recordType) {
    case 'Steps':
      return interval('Steps', r.count, 'count', r.startTime, r.endTime);
    case 'Distance':
      return interval('Distance', r.distance.inMeters, 'm', r.startTime, r.endTime);
    case 'ActiveCaloriesBurned':
      return interval('ActiveCaloriesBurned', r.energy.inKilocalories, 'kcal', r.startTime, r.endTime);
    case 'TotalCaloriesBurned':
      return interval('TotalCaloriesBurned', r.energy.inKilocalories, 'kcal', r.startTime, r.endTime);
    case 'RestingHeartRate':
      return interval('RestingHeartRate', r.beatsPerMinute, 'count/min', r.time, r.time);
    case 'Weight':
      return interval('Weight', r.weight.inKilograms, 'kg', r.time, r.time);
    case 'HeartRate':
      return [{ kind: 'series', id, start: r.startTime, input: { id, type: 'HeartRate', unit: 'count/min', start: r.startTime,
        end: r.endTime, source, version, points: r.samples.map((p) => ({ time: p.time, value: p.beatsPerMinute })) } }];
    case 'SleepSession':
      // A session's stages have no ids of their own: the session id and the stage's start name each one.
      return (r.stages ?? []).map((s) => {
        const sid = `${id}:${s.startTime}`;
        return { kind: 'category' as const, id: sid, start: s.startTime, input: { id: sid, type: 'SleepStage', value: String(s.stage),
          start: s.startTime, end: s.endTime, source, version } };
      });
    case 'ExerciseSession':
      return [{ kind: 'workout', id, start: r.startTime, input: { id, activityType: String(r.exerciseType), start: r.startTime,
        end: r.endTime, source, version,
        // Segment types go as Health Connect's ints; lap lengths in metres.
        segments: r.segments?.length ? r.segments.map((s) => ({ start: s.startTime, end: s.endTime, type: String(s.segmentType),
          repetitions: s.repetitions || undefined })) : undefined,
        laps: r.laps?.length ? r.laps.map((l) => ({ start: l.startTime, end: l.endTime, distance: lapLength(l.length) })) : undefined } }];
    default:
      return [];
  }
}

/** A HealthStore over Health Connect. Types are Health Connect record types (HEALTH_CONNECT_TYPES). */
export function healthConnectStore(hc: HealthConnectModule): HealthStore {
  let ready: Promise<boolean> | undefined;
  const init = () => (ready ??= hc.initialize());
  return {
    provider: 'HEALTH_CONNECT',
    async requestPermissions(types) {
      await init();
      const granted = await hc.requestPermission(types.map((t) => ({ accessType: 'read' as const, recordType: t as RecordType })));
      return granted.filter((p) => 'recordType' in p && p.accessType === 'read').map((p) => (p as { recordType: string }).recordType);
    },
    async changes(type, cursor, _limit): Promise<ChangePage> {
      await init();
      // Health Connect pages changes itself (hasMore); the limit is the platform's.
      const r = await hc.getChanges({ changesToken: cursor, recordTypes: [type as RecordType] });
      if (r.changesTokenExpired) return { items: [], deletedIds: [], cursor: cursor ?? '', more: false, expired: true };
      return { items: r.upsertionChanges.flatMap((c) => hcItems(c.record)), deletedIds: r.deletionChanges.map((d) => d.recordId),
        cursor: r.nextChangesToken, more: r.hasMore };
    },
    async startCursor(type) {
      await init();
      // Without a token the library asks Health Connect for a fresh one: the changes after now.
      const r = await hc.getChanges({ recordTypes: [type as RecordType] });
      return r.nextChangesToken;
    },
    async readWindow(type, from, to) {
      await init();
      const out: SyncItem[] = [];
      let pageToken: string | undefined;
      do {
        const r = await hc.readRecords(type as RecordType, { timeRangeFilter: { operator: 'between', startTime: from.toISOString(),
          endTime: to.toISOString() }, pageToken, pageSize: 1000 });
        for (const rec of r.records) out.push(...hcItems({ ...rec, recordType: type } as HealthConnectRecordResult));
        pageToken = r.pageToken || undefined;
      } while (pageToken);
      return out.filter((i) => Date.parse(i.start) >= from.getTime() && Date.parse(i.start) < to.getTime());
    },
  };
}
