// Durable key-value storage for the outbox and the sync state. Apps plug in AsyncStorage or MMKV through the
// adapters below; tests use a file store. Every write must be durable when its promise resolves.

export interface Storage {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** Keys that start with prefix, in any order. */
  keys(prefix: string): Promise<string[]>;
}

/** The part of @react-native-async-storage/async-storage the SDK uses. */
export interface AsyncStorageLike {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
  getAllKeys(): Promise<readonly string[]>;
}

export function asyncStorage(s: AsyncStorageLike): Storage {
  return {
    get: async (k) => (await s.getItem(k)) ?? undefined,
    set: (k, v) => s.setItem(k, v),
    remove: (k) => s.removeItem(k),
    keys: async (p) => (await s.getAllKeys()).filter((k) => k.startsWith(p)),
  };
}

/** The part of react-native-mmkv's MMKV instance the SDK uses (synchronous, so each call is already durable). */
export interface MMKVLike {
  getString(key: string): string | undefined;
  set(key: string, value: string): void;
  remove?(key: string): unknown;
  delete?(key: string): unknown;
  getAllKeys(): string[];
}

export function mmkvStorage(s: MMKVLike): Storage {
  return {
    get: async (k) => s.getString(k),
    set: async (k, v) => s.set(k, v),
    remove: async (k) => {
      if (s.remove) s.remove(k);
      else s.delete?.(k);
    },
    keys: async (p) => s.getAllKeys().filter((k) => k.startsWith(p)),
  };
}

/** In memory: for apps that want no persistence (tests, previews). An app killed loses its outbox. */
export function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get: async (k) => m.get(k),
    set: async (k, v) => void m.set(k, v),
    remove: async (k) => void m.delete(k),
    keys: async (p) => [...m.keys()].filter((k) => k.startsWith(p)),
  };
}
