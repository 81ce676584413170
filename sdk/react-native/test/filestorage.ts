import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Storage } from '../src/storage';

/** A Storage of one file per key; a write lands whole (temp file + rename) or not at all, like a phone's store. */
export function fileStorage(dir: string): Storage {
  mkdirSync(dir, { recursive: true });
  const path = (k: string) => join(dir, encodeURIComponent(k));
  return {
    get: async (k) => {
      try {
        return readFileSync(path(k), 'utf8');
      } catch {
        return undefined;
      }
    },
    set: async (k, v) => {
      writeFileSync(path(k) + '.tmp', v);
      renameSync(path(k) + '.tmp', path(k));
    },
    remove: async (k) => rmSync(path(k), { force: true }),
    keys: async (p) => readdirSync(dir).filter((f) => !f.endsWith('.tmp')).map(decodeURIComponent).filter((k) => k.startsWith(p)),
  };
}
