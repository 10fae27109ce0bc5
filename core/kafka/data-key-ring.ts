import { randomBytes } from 'node:crypto';
import type { DataKey } from './record-cipher.js';

/** Options of {@link DataKeyRing}. */
export interface DataKeyRingOptions {
  /** A topic's current key is replaced once it is this old, in ms (default 1 hour). */
  readonly rotationMs?: number;
  /** Keys are kept (to decrypt older records) for this long after they were made, in ms (default 7 days, Kafka's default retention). */
  readonly retentionMs?: number;
  /** Keys kept from an earlier run. */
  readonly saved?: readonly DataKey[];
  /** Called after a key was made or dropped (to persist the ring). */
  readonly changed?: (keys: readonly DataKey[]) => void;
  readonly clock?: () => number;
}

/** Default rotation period of a topic's data key: 1 hour. */
export const DEFAULT_KEY_ROTATION_MS = 3_600_000;
/** Default time a data key is kept: 7 days. */
export const DEFAULT_KEY_RETENTION_MS = 7 * 86_400_000;

/** Rotation and retention one producer (an inlet) asks for, in ms; the ring's defaults where absent. */
export interface KeyPeriods {
  readonly rotationMs?: number;
  readonly retentionMs?: number;
}

/** What `kafka-inlet show` lists of a key: never its bytes. */
export interface DataKeyInfo {
  readonly id: string;
  readonly topic: string;
  readonly createdAt: number;
  /** When it stops being kept (ms since the epoch). */
  readonly expiresAt: number;
  /** True while it is its topic's current key (new records are sealed with it). */
  readonly current: boolean;
}

/**
 * A producer node's data keys: one current AES-256 key per topic, replaced every
 * `rotationMs`, earlier ones kept for `retentionMs` so that consumers can still decrypt
 * records written with them. An inlet may ask for its own periods ({@link KeyPeriods}): a
 * topic's current key is replaced once it is older than the rotation of the inlet sealing
 * with it, and each key is kept for the retention of the inlet that made it. Key ids are
 * 16 random bytes (hex).
 */
export class DataKeyRing {
  private readonly byId = new Map<string, DataKey>();
  private readonly current = new Map<string, DataKey>();
  private readonly rotationMs: number;
  private readonly retentionMs: number;
  private readonly clock: () => number;

  constructor(private readonly options: DataKeyRingOptions = {}) {
    this.rotationMs = options.rotationMs ?? DEFAULT_KEY_ROTATION_MS;
    this.retentionMs = options.retentionMs ?? DEFAULT_KEY_RETENTION_MS;
    this.clock = options.clock ?? Date.now;
    const now = this.clock();
    for (const key of options.saved ?? []) {
      if (now - key.createdAt > this.retentionOf(key)) continue;
      this.byId.set(key.id, key);
      const cur = this.current.get(key.topic);
      if (cur === undefined || cur.createdAt < key.createdAt) this.current.set(key.topic, key);
    }
  }

  /** The current key of `topic`, made (or rotated) now when there is none younger than the rotation period. */
  keyFor(topic: string, periods: KeyPeriods = {}): DataKey {
    const now = this.clock();
    const cur = this.current.get(topic);
    if (cur !== undefined && now - cur.createdAt < (periods.rotationMs ?? this.rotationMs) && this.byId.has(cur.id)) return cur;
    const key: DataKey = {
      id: randomBytes(16).toString('hex'), topic, secret: randomBytes(32), createdAt: now,
      ...(periods.retentionMs !== undefined ? { retentionMs: periods.retentionMs } : {}),
    };
    this.current.set(topic, key);
    this.byId.set(key.id, key);
    this.prune(now);
    this.options.changed?.(this.keys());
    return key;
  }

  /** A key by id, unless unknown or past retention. */
  get(id: string): DataKey | undefined {
    const key = this.byId.get(id);
    if (key === undefined || this.clock() - key.createdAt > this.retentionOf(key)) return undefined;
    return key;
  }

  /** Ids, topics and times of the keys kept (never their bytes), newest first; of `topics` only when given. */
  info(topics?: ReadonlySet<string>): DataKeyInfo[] {
    const now = this.clock();
    return this.keys()
      .filter((k) => (topics === undefined || topics.has(k.topic)) && now - k.createdAt <= this.retentionOf(k))
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((k) => ({ id: k.id, topic: k.topic, createdAt: k.createdAt, expiresAt: k.createdAt + this.retentionOf(k), current: this.current.get(k.topic) === k }));
  }

  private retentionOf(key: DataKey): number {
    return key.retentionMs ?? this.retentionMs;
  }

  /** Every key kept. */
  keys(): DataKey[] {
    return [...this.byId.values()];
  }

  private prune(now: number): void {
    for (const [id, key] of this.byId) if (now - key.createdAt > this.retentionOf(key)) this.byId.delete(id);
  }
}
