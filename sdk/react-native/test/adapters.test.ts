// The adapters map each library's documented answers into ingestBatch input. The payloads are typed with the
// libraries' own definitions, so a field the library renames fails `tsc --noEmit` before it fails here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CategorySample, QuantitySample, QuantitySamplesWithAnchorResponse, WorkoutSample } from '@kingstinct/react-native-healthkit';
import type { GetChangesResults } from 'react-native-health-connect/lib/typescript/types/changes.types';
import type { HealthConnectRecordResult, ReadRecordsResult } from 'react-native-health-connect/lib/typescript/types/results.types';
import { healthConnectStore, hcItems } from '../src/healthconnect';
import type { HealthConnectModule } from '../src/healthconnect';
import { healthKitStore, hkCategoryItem, hkQuantityItem, hkWorkoutItem, hkWorkoutParts } from '../src/healthkit';
import type { HealthKitModule } from '../src/healthkit';
import { digestOf } from '../src/digest';

const sampleType = { identifier: 'HKQuantityTypeIdentifierHeartRate', allowsRecalibrationForEstimates: false,
  isMinimumDurationRestricted: false, isMaximumDurationRestricted: false };
const base = {
  sourceRevision: { source: { name: 'Apple Watch', bundleIdentifier: 'com.apple.health.81AC' }, version: '11.1',
    operatingSystemVersion: '11.1', productType: 'Watch7,2' },
  device: { name: 'Apple Watch', manufacturer: 'Apple Inc.', model: 'Watch', hardwareVersion: 'Watch7,2', softwareVersion: '11.1' },
  sampleType, hasUndeterminedDuration: false,
};

const hr: QuantitySample = { ...base, uuid: '0F2E8C4B-2C1A-4E8F-9B7D-6A5C4B3A2918', quantityType: 'HKQuantityTypeIdentifierHeartRate',
  quantity: 72, unit: 'count/min', startDate: new Date('2026-03-01T08:00:00Z'), endDate: new Date('2026-03-01T08:00:00Z'),
  metadata: { HKMetadataKeyHeartRateMotionContext: 1, HKTimeZone: 'Europe/Zurich', HKWasUserEntered: false } };

describe('HealthKit adapter', () => {
  it('maps a quantity sample with its source revision, device and metadata', () => {
    const item = hkQuantityItem(hr);
    assert.equal(item.kind, 'sample');
    assert.deepEqual(item.input, {
      id: hr.uuid, type: 'HKQuantityTypeIdentifierHeartRate', value: 72, unit: 'count/min', start: '2026-03-01T08:00:00.000Z',
      end: '2026-03-01T08:00:00.000Z',
      source: { name: 'Apple Watch', bundleId: 'com.apple.health.81AC', version: '11.1', productType: 'Watch7,2', deviceName: 'Apple Watch',
        deviceModel: 'Watch', deviceManufacturer: 'Apple Inc.', hardwareVersion: 'Watch7,2', softwareVersion: '11.1' },
      metadata: { HKMetadataKeyHeartRateMotionContext: 1, HKTimeZone: 'Europe/Zurich', HKWasUserEntered: false },
    });
  });

  it('maps sleep analysis and workouts', () => {
    const sleep: CategorySample = { ...base, uuid: 'A1B2C3D4-0000-4000-8000-000000000001', categoryType: 'HKCategoryTypeIdentifierSleepAnalysis',
      value: 3, startDate: new Date('2026-03-01T01:00:00Z'), endDate: new Date('2026-03-01T02:00:00Z'), metadata: {} };
    const c = hkCategoryItem(sleep);
    assert.equal(c.kind, 'category');
    assert.equal(c.kind === 'category' && c.input.value, '3');
    const run: WorkoutSample = { ...base, uuid: 'A1B2C3D4-0000-4000-8000-000000000002', workoutActivityType: 37,
      duration: { quantity: 1800, unit: 's' }, totalEnergyBurned: { quantity: 320, unit: 'kcal' }, totalDistance: { quantity: 5000, unit: 'm' },
      startDate: new Date('2026-03-01T07:00:00Z'), endDate: new Date('2026-03-01T07:35:00Z'), metadata: { HKIndoorWorkout: false } };
    const w = hkWorkoutItem(run);
    assert.ok(w.kind === 'workout');
    assert.deepEqual([w.input.activityType, w.input.durationSeconds, w.input.energy, w.input.distance],
      ['37', 1800, { value: 320, unit: 'kcal' }, { value: 5000, unit: 'm' }]);
    assert.deepEqual([w.input.segments, w.input.laps, w.input.events], [undefined, undefined, undefined]);
  });

  it('maps workout events and activities to laps, segments and events', () => {
    const d = (m: number) => new Date(Date.parse('2026-03-01T07:00:00Z') + m * 60_000);
    const swim = { startDate: d(0), endDate: d(60),
      events: [{ type: 3, startDate: d(1), endDate: d(2) }, { type: 3, startDate: d(2), endDate: d(3.5) }, { type: 1, startDate: d(10), endDate: d(10) },
        { type: 2, startDate: d(12), endDate: d(12) }, { type: 4, startDate: d(61), endDate: d(61) }],
      activities: [{ uuid: 'a', startDate: d(0), endDate: d(30), duration: 1800, activityType: 46 },
        { uuid: 'b', startDate: d(30), endDate: d(60), duration: 1800, activityType: 13 }] } as unknown as Parameters<typeof hkWorkoutParts>[0];
    const p = hkWorkoutParts(swim);
    assert.deepEqual(p.laps, [{ start: d(1).toISOString(), end: d(2).toISOString() }, { start: d(2).toISOString(), end: d(3.5).toISOString() }]);
    assert.deepEqual(p.events, [{ type: '1', start: d(10).toISOString(), end: undefined }, { type: '2', start: d(12).toISOString(), end: undefined }],
      'the marker after the end is left out');
    assert.deepEqual(p.segments?.map((s) => s.type), ['46', '13']);
    const overlapping = { ...swim, events: [{ type: 3, startDate: d(1), endDate: d(3) }, { type: 3, startDate: d(2), endDate: d(4) }], activities: [] } as typeof swim;
    const q = hkWorkoutParts(overlapping);
    assert.deepEqual([q.laps, q.events?.length, q.segments], [undefined, 2, undefined], 'overlapping laps stay events');
  });

  it('reads changes with the anchor and reports deleted objects', async () => {
    const answer: QuantitySamplesWithAnchorResponse = { samples: [hr], deletedSamples: [{ uuid: 'DEAD0000-0000-4000-8000-000000000000' }],
      newAnchor: 'YnBsaXN0MDDUAQIDBAUGBwpYJHZlcnNpb24=' };
    const asked: unknown[] = [];
    const hk = { queryQuantitySamplesWithAnchor: async (t: string, o: unknown) => (asked.push([t, o]), answer) } as unknown as HealthKitModule;
    const page = await healthKitStore(hk).changes('HKQuantityTypeIdentifierHeartRate', 'old-anchor', 2);
    assert.deepEqual(asked, [['HKQuantityTypeIdentifierHeartRate', { anchor: 'old-anchor', limit: 2, filter: undefined }]]);
    assert.deepEqual(page.deletedIds, ['DEAD0000-0000-4000-8000-000000000000']);
    assert.equal(page.cursor, answer.newAnchor);
    assert.equal(page.items[0].id, hr.uuid);
    assert.equal(page.more, true); // a full page: more may follow
  });
});

const meta = { id: 'c8f1e2d3-4b5a-6789-0abc-def012345678', dataOrigin: 'com.google.android.apps.fitness',
  lastModifiedTime: '2026-03-01T09:00:00.000Z', clientRecordVersion: 0, device: { manufacturer: 'Google', model: 'Pixel Watch 2', type: 1 } };

describe('Health Connect adapter', () => {
  it('maps steps, heart-rate series, sleep stages and exercise with ids and versions', () => {
    const steps: HealthConnectRecordResult = { recordType: 'Steps', count: 1200, startTime: '2026-03-01T08:00:00.000Z',
      endTime: '2026-03-01T09:00:00.000Z', metadata: meta };
    const [s] = hcItems(steps);
    assert.deepEqual(s.input, { id: meta.id, type: 'Steps', value: 1200, unit: 'count', start: steps.startTime, end: steps.endTime,
      source: { name: meta.dataOrigin, bundleId: meta.dataOrigin, deviceManufacturer: 'Google', deviceModel: 'Pixel Watch 2' },
      version: Date.parse(meta.lastModifiedTime) });
    const heart: HealthConnectRecordResult = { recordType: 'HeartRate', startTime: '2026-03-01T08:00:00.000Z', endTime: '2026-03-01T08:02:00.000Z',
      samples: [{ time: '2026-03-01T08:00:00.000Z', beatsPerMinute: 70 }, { time: '2026-03-01T08:01:00.000Z', beatsPerMinute: 74 }],
      metadata: { ...meta, clientRecordVersion: 3 } };
    const [h] = hcItems(heart);
    assert.ok(h.kind === 'series');
    assert.equal(h.input.version, 3);
    assert.deepEqual(h.input.points, [{ time: '2026-03-01T08:00:00.000Z', value: 70 }, { time: '2026-03-01T08:01:00.000Z', value: 74 }]);
    const sleep: HealthConnectRecordResult = { recordType: 'SleepSession', startTime: '2026-03-01T00:00:00.000Z', endTime: '2026-03-01T06:00:00.000Z',
      stages: [{ startTime: '2026-03-01T00:00:00.000Z', endTime: '2026-03-01T01:00:00.000Z', stage: 4 },
        { startTime: '2026-03-01T01:00:00.000Z', endTime: '2026-03-01T06:00:00.000Z', stage: 5 }], metadata: meta };
    assert.deepEqual(hcItems(sleep).map((i) => [i.id, i.kind === 'category' && i.input.value]),
      [[`${meta.id}:2026-03-01T00:00:00.000Z`, '4'], [`${meta.id}:2026-03-01T01:00:00.000Z`, '5']]);
    const ex: HealthConnectRecordResult = { recordType: 'ExerciseSession', exerciseType: 56, startTime: '2026-03-01T07:00:00.000Z',
      endTime: '2026-03-01T07:30:00.000Z', metadata: meta };
    assert.equal(hcItems(ex)[0].kind === 'workout' && (hcItems(ex)[0].input as { activityType: string }).activityType, '56');
    const gym: HealthConnectRecordResult = { ...ex, exerciseType: 70,
      segments: [{ startTime: '2026-03-01T07:00:00.000Z', endTime: '2026-03-01T07:10:00.000Z', segmentType: 51, repetitions: 12 },
        { startTime: '2026-03-01T07:10:00.000Z', endTime: '2026-03-01T07:12:00.000Z', segmentType: 44, repetitions: 0 }],
      laps: [{ startTime: '2026-03-01T07:12:00.000Z', endTime: '2026-03-01T07:20:00.000Z', length: { value: 0.5, unit: 'miles' } }] };
    const [g] = hcItems(gym);
    assert.ok(g.kind === 'workout');
    assert.deepEqual(g.input.segments, [{ start: '2026-03-01T07:00:00.000Z', end: '2026-03-01T07:10:00.000Z', type: '51', repetitions: 12 },
      { start: '2026-03-01T07:10:00.000Z', end: '2026-03-01T07:12:00.000Z', type: '44', repetitions: undefined }]);
    assert.deepEqual(g.input.laps, [{ start: '2026-03-01T07:12:00.000Z', end: '2026-03-01T07:20:00.000Z', distance: { value: 804.672, unit: 'm' } }]);
    assert.deepEqual(hcItems({ ...steps, metadata: undefined }), [], 'a record without metadata.id cannot be keyed');
  });

  it('reads changes with the token, deletions as ids, and reports an expired token', async () => {
    const answer: GetChangesResults = { upsertionChanges: [{ record: { recordType: 'Steps', count: 10, startTime: '2026-03-01T08:00:00.000Z',
      endTime: '2026-03-01T08:01:00.000Z', metadata: meta } }], deletionChanges: [{ recordId: 'gone-1' }], nextChangesToken: 'tok-2',
      changesTokenExpired: false, hasMore: true };
    let expired = false;
    const hc = { initialize: async () => true,
      getChanges: async () => (expired ? { ...answer, upsertionChanges: [], deletionChanges: [], changesTokenExpired: true } : answer),
    } as unknown as HealthConnectModule;
    const store = healthConnectStore(hc);
    const page = await store.changes('Steps', 'tok-1', 100);
    assert.deepEqual([page.items.length, page.deletedIds, page.cursor, page.more, page.expired], [1, ['gone-1'], 'tok-2', true, undefined]);
    expired = true;
    assert.equal((await store.changes('Steps', 'tok-1', 100)).expired, true);
  });

  it('reads a window page by page', async () => {
    const rec = (i: number) => ({ count: i, startTime: `2026-03-0${i}T08:00:00.000Z`, endTime: `2026-03-0${i}T09:00:00.000Z`,
      metadata: { ...meta, id: `r${i}` } });
    const pages: ReadRecordsResult<'Steps'>[] = [{ records: [rec(1), rec(2)], pageToken: 'p2' }, { records: [rec(3)], pageToken: '' }];
    const tokens: (string | undefined)[] = [];
    const hc = { initialize: async () => true, readRecords: async (_t: string, o: { pageToken?: string }) => (tokens.push(o.pageToken), pages[tokens.length - 1]),
    } as unknown as HealthConnectModule;
    const items = await healthConnectStore(hc).readWindow('Steps', new Date('2026-03-01T00:00:00Z'), new Date('2026-03-08T00:00:00Z'));
    assert.deepEqual(items.map((i) => i.id), ['r1', 'r2', 'r3']);
    assert.deepEqual(tokens, [undefined, 'p2']);
  });
});

describe('upload digest', () => {
  it('is the documented SHA-256 over sorted, ASCII-lower-cased, distinct ids', () => {
    // Worked example of docs/upload-digests.md (sha256 of "a\nb-2\nc" computed independently).
    assert.deepEqual(digestOf(['C', 'a', 'B-2', 'c']), { count: 3,
      digest: require('node:crypto').createHash('sha256').update('a\nb-2\nc').digest('hex') });
    assert.equal(digestOf([]).digest, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    // Byte order, not UTF-16 order: U+FF5E sorts before U+1F600 in UTF-8 bytes as in code points.
    const d = digestOf(['\u{1F600}', '\uFF5E']);
    assert.equal(d.digest, require('node:crypto').createHash('sha256').update('\uFF5E\n\u{1F600}').digest('hex'));
  });
});
