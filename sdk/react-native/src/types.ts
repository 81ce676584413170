// The server's ingestBatch input, as far as the SDK sends it (schema.graphqls is the reference).

export type Provider = 'APPLE_HEALTH' | 'HEALTH_CONNECT';

export interface SourceInput {
  name: string;
  bundleId?: string;
  version?: string;
  productType?: string;
  deviceName?: string;
  deviceModel?: string;
  deviceManufacturer?: string;
  hardwareVersion?: string;
  softwareVersion?: string;
}

export type Metadata = Record<string, string | number | boolean | null>;

export interface QuantitySampleInput {
  id: string;
  type: string;
  value: number;
  unit: string;
  start: string;
  end: string;
  source: SourceInput;
  timeZone?: string;
  userEntered?: boolean;
  version?: number;
  metadata?: Metadata;
}

export interface SeriesSampleInput {
  id: string;
  type: string;
  unit: string;
  start: string;
  end: string;
  source: SourceInput;
  version?: number;
  metadata?: Metadata;
  points: { time: string; value: number }[];
}

export interface CategorySampleInput {
  id: string;
  type: string;
  value?: string;
  start: string;
  end: string;
  source: SourceInput;
  userEntered?: boolean;
  version?: number;
  metadata?: Metadata;
}

export interface WorkoutInput {
  id: string;
  activityType: string;
  start: string;
  end: string;
  durationSeconds?: number;
  energy?: { value: number; unit: string };
  distance?: { value: number; unit: string };
  source: SourceInput;
  version?: number;
  metadata?: Metadata;
  /** Health Connect ExerciseSegments, or HealthKit workout activities (type: a segment or activity type). */
  segments?: { start: string; end: string; type: string; repetitions?: number }[];
  /** Health Connect ExerciseLaps, or HealthKit lap events. */
  laps?: { start: string; end: string; distance?: { value: number; unit: string } }[];
  /** HealthKit workout events (type: the HKWorkoutEventType raw value). */
  events?: { type: string; start: string; end?: string }[];
}

/** One record read from the platform store, already in the server's input shape. */
export type SyncItem =
  | { kind: 'sample'; id: string; start: string; input: QuantitySampleInput }
  | { kind: 'series'; id: string; start: string; input: SeriesSampleInput }
  | { kind: 'category'; id: string; start: string; input: CategorySampleInput }
  | { kind: 'workout'; id: string; start: string; input: WorkoutInput };

/** What changed in one data type since a cursor (a HealthKit anchor or a Health Connect changes token). */
export interface ChangePage {
  items: SyncItem[];
  deletedIds: string[];
  /** The position after this page; store it only once the server acknowledged the batch carrying the page. */
  cursor: string;
  /** More changes wait behind this page. */
  more: boolean;
  /** Health Connect: the token is too old (about 30 days) and the changes since it are gone. */
  expired?: boolean;
}

/**
 * What the engine needs from a platform. The HealthKit and Health Connect adapters implement it over the
 * libraries; tests implement it over simulated stores.
 */
export interface HealthStore {
  readonly provider: Provider;
  requestPermissions(types: string[]): Promise<string[]>;
  /** Changes of `type` after `cursor` (from the beginning when undefined), at most about `limit` of them. */
  changes(type: string, cursor: string | undefined, limit: number): Promise<ChangePage>;
  /** A cursor at the store's present, without reading history (the incremental sync starts here after a backfill). */
  startCursor(type: string): Promise<string>;
  /** Every item of `type` whose start lies in [from, to). */
  readWindow(type: string, from: Date, to: Date): Promise<SyncItem[]>;
  /** Calls onChange when the platform reports new data of a type (background delivery); returns an unsubscribe. */
  subscribe?(types: string[], onChange: (type: string) => void): () => void;
}

export interface DeviceInfo {
  /** A stable id of this app installation. */
  id: string;
  model?: string;
  osVersion?: string;
  appVersion?: string;
  /** IANA zone; weeks of the backfill are cut in it. */
  timeZone?: string;
}

export interface Rejection {
  kind: string;
  index: number;
  id?: string | null;
  code: string;
  message: string;
}

export interface IngestResult {
  replayed: boolean;
  accepted: number;
  duplicates: number;
  updated: number;
  deleted: number;
  rejected: Rejection[];
}
