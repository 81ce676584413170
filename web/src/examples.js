// Saved operations GraphiQL opens with: one upload, one dashboard read, the sync state.
import { addDays, dayStart, todayIn } from './time.js';

function isoDaysAgo(days) {
  const d = new Date(Date.now() - days * 86400000);
  d.setUTCMinutes(0, 0, 0);
  return d.toISOString();
}

const ingest = `# Upload one batch. Run it twice: the second answer has replayed: true and writes nothing.
mutation IngestBatch($input: IngestBatchInput!) {
  ingestBatch(input: $input) {
    replayed
    accepted
    duplicates
    updated
    rejected { kind index id code message }
  }
}`;

function ingestVariables() {
  const source = { name: 'Apple Watch', bundleId: 'com.apple.health.example', productType: 'Watch6,7' };
  const t = isoDaysAgo(0);
  const start = new Date(Date.parse(t) - 3600000).toISOString();
  return {
    input: {
      idempotencyKey: `graphiql-example-${t}`,
      provider: 'APPLE_HEALTH',
      device: { id: 'graphiql-iphone', model: 'iPhone15,2', timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone },
      samples: [
        { id: '6a1f7a52-1b4e-4a53-9d0e-1f2b3c4d5e60', type: 'HKQuantityTypeIdentifierStepCount', value: 1240, unit: 'count', start, end: t, source },
        { id: '6a1f7a52-1b4e-4a53-9d0e-1f2b3c4d5e61', type: 'HKQuantityTypeIdentifierHeartRate', value: 72, unit: 'count/min', start: t, end: t, source },
      ],
      cursors: [{ type: 'HKQuantityTypeIdentifierStepCount', cursor: 'example-anchor-1', newestSampleEnd: t }],
    },
  };
}

const series = `# Daily steps, merged across sources like Apple Health (each stretch of time counted once).
query DailySteps($from: Time!, $to: Time!, $timeZone: String) {
  series(metric: "steps", from: $from, to: $to, bucket: DAY, timeZone: $timeZone) {
    unit
    timeZone
    points { start value count }
  }
}`;

const syncState = `# Per device and data type: the last upload, the last new data, and STALE when a type went quiet
# while its device kept uploading (usually a revoked Health permission).
query SyncState {
  devices { id provider model lastSeen }
  syncState { deviceId dataType status lastUploadAt lastDataAt newestSampleEnd count }
}`;

export function exampleTabs(headers) {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const pretty = (v) => JSON.stringify(v, null, 2);
  return [
    { query: ingest, variables: pretty(ingestVariables()), headers },
    // Whole local days: the last 14 up to and including today, from local midnight to local midnight.
    { query: series, variables: pretty({ from: dayStart(addDays(todayIn(tz), -13), tz).toISOString(),
      to: dayStart(addDays(todayIn(tz), 1), tz).toISOString(), timeZone: tz }), headers },
    { query: syncState, headers },
  ];
}
