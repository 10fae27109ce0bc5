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
});
