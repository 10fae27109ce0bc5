import { describe, expect, it } from 'vitest';
import { DataKeyRing } from './data-key-ring.js';

describe('DataKeyRing', () => {
  it('keeps one key per topic until the rotation period, keeps old keys for the retention period, restores saved keys', () => {
    let now = 1_000_000;
    const saved: unknown[] = [];
    const ring = new DataKeyRing({ rotationMs: 1000, retentionMs: 5000, clock: () => now, changed: (keys) => saved.push(keys.length) });
    const a1 = ring.keyFor('a');
    expect(a1.secret).toHaveLength(32);
    expect(a1.id).toMatch(/^[0-9a-f]{32}$/);
    expect(ring.keyFor('a')).toBe(a1);
    expect(ring.keyFor('b').id).not.toBe(a1.id);
    now += 1000;
    const a2 = ring.keyFor('a');
    expect(a2.id).not.toBe(a1.id);
    expect(ring.get(a1.id)).toBe(a1);
    now += 4500;
    expect(ring.get(a1.id)).toBeUndefined();
    expect(ring.get(a2.id)).toBe(a2);
    expect(saved).toEqual([1, 2, 3]);

    const restored = new DataKeyRing({ rotationMs: 1000, retentionMs: 5000, clock: () => now, saved: ring.keys() });
    expect(restored.get(a2.id)?.secret.equals(a2.secret)).toBe(true);
    expect(restored.get(a1.id)).toBeUndefined();
  });

  it('follows the periods an inlet asks for (rotation per call, retention per key) and lists keys without their bytes', () => {
    let now = 1_000_000;
    const ring = new DataKeyRing({ rotationMs: 60_000, retentionMs: 600_000, clock: () => now });
    const fast = { rotationMs: 1000, retentionMs: 3000 };
    const k1 = ring.keyFor('t', fast);
    now += 500;
    expect(ring.keyFor('t', fast)).toBe(k1);
    now += 600;
    const k2 = ring.keyFor('t', fast);
    expect(k2.id).not.toBe(k1.id);
    // Another inlet with the default rotation seals with the same current key.
    expect(ring.keyFor('t')).toBe(k2);
    expect(ring.info().map((k) => [k.id, k.topic, k.createdAt, k.expiresAt, k.current])).toEqual([
      [k2.id, 't', 1_001_100, 1_004_100, true], [k1.id, 't', 1_000_000, 1_003_000, false],
    ]);
    expect(JSON.stringify(ring.info())).not.toContain(k1.secret.toString('base64'));
    now += 2000;
    expect(ring.get(k1.id)).toBeUndefined();
    expect(ring.get(k2.id)).toBe(k2);
    const restored = new DataKeyRing({ rotationMs: 60_000, retentionMs: 600_000, clock: () => now, saved: ring.keys() });
    expect(restored.info().map((k) => k.id)).toEqual([k2.id]);
    now += 1001;
    expect(restored.get(k2.id)).toBeUndefined();
  });
});
