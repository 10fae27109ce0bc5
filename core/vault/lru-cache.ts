import { createHash } from 'node:crypto';

/**
 * A bounded least-recently-used map. Used to memoize pure, time-independent results
 * (parsed public keys, verified signatures, decoded signed structures) so repeated
 * handshakes with the same peers do not redo them. Callers keep every time-dependent
 * and trust-dependent check outside the cache.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  /** `capacity`: most entries kept; the least recently used one is dropped beyond it. */
  constructor(private readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('LRU capacity must be a positive integer');
  }

  /** The value under `key`, marking it most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Stores `value` under `key` as the most recently used entry. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** Number of entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Drops every entry. */
  clear(): void {
    this.entries.clear();
  }
}

/**
 * A cache key for a sequence of byte strings: SHA-256 over each part's length and bytes,
 * in base64. Distinct sequences give distinct keys (length prefixes make the split
 * unambiguous), whatever their size.
 */
export function bytesKey(...parts: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  const length = Buffer.alloc(4);
  for (const part of parts) {
    length.writeUInt32BE(part.length, 0);
    h.update(length);
    h.update(part);
  }
  return h.digest('base64');
}
