import { Client } from './client';
import type { FetchLike, TokenProvider } from './client';
import { SyncEngine } from './engine';
import type { SyncEvent, SyncReport, TypeStatus } from './engine';
import type { Storage } from './storage';
import type { DeviceInfo, HealthStore } from './types';

export interface HealthSyncConfig {
  /** The server's GraphQL endpoint, e.g. https://health.example.com/graphql */
  endpoint: string;
  /** Gives a bearer token with the ingest scope; asked again with forceRefresh when the server refused one. */
  getToken: TokenProvider;
  /** healthKitStore(HealthKit) on iOS, healthConnectStore(HealthConnect) on Android. */
  store: HealthStore;
  /** asyncStorage(AsyncStorage) or mmkvStorage(new MMKV()): holds the outbox and the sync positions. */
  storage: Storage;
  device: DeviceInfo;
  /** Platform type identifiers to sync (HealthKit identifiers or Health Connect record types). */
  types: string[];
  /** Seconds a background wake may use (default 20: iOS gives background delivery about 30). */
  backgroundBudgetSeconds?: number;
  backfillDays?: number;
  fetch?: FetchLike;
}

/** The app-facing SDK: configure once, then requestPermissions, syncNow, startBackgroundSync, and listen. */
export class HealthSync {
  readonly engine: SyncEngine;
  private readonly listeners = new Set<(e: SyncEvent) => void>();
  private unsubscribe?: () => void;

  constructor(private readonly cfg: HealthSyncConfig) {
    const f = cfg.fetch ?? (globalThis as unknown as { fetch: FetchLike }).fetch;
    this.engine = new SyncEngine({ store: cfg.store, storage: cfg.storage, device: cfg.device, types: cfg.types,
      backfillDays: cfg.backfillDays, client: new Client(cfg.endpoint, cfg.getToken, f),
      onEvent: (e) => this.listeners.forEach((l) => l(e)) });
  }

  requestPermissions(types: string[] = this.cfg.types): Promise<string[]> {
    return this.cfg.store.requestPermissions(types);
  }

  /** A foreground sync: no time budget unless given. */
  syncNow(budgetSeconds?: number): Promise<SyncReport> {
    return this.engine.syncNow({ budgetMs: budgetSeconds === undefined ? undefined : budgetSeconds * 1000 });
  }

  /** Syncs whenever the platform reports new data, each time within the background budget. */
  startBackgroundSync(): void {
    this.unsubscribe?.();
    const budget = (this.cfg.backgroundBudgetSeconds ?? 20) * 1000;
    this.unsubscribe = this.cfg.store.subscribe?.(this.cfg.types, () => {
      this.engine.syncNow({ budgetMs: budget }).catch((err: Error) =>
        this.listeners.forEach((l) => l({ type: 'error', code: 'SYNC_FAILED', message: err.message, willRetry: true })));
    });
  }

  stopBackgroundSync(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Listens to progress, status, rejections and errors; returns the function that stops listening. */
  on(listener: (e: SyncEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): Promise<TypeStatus[]> {
    return this.engine.status();
  }
}
