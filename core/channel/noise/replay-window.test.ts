import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplayWindow } from './replay-window.js';

/** Reference model: a set of seen nonces and the highest one. */
function modelAccepts(seen: Set<number>, highest: number, size: number, n: number): boolean {
  if (n > highest) return true;
  return highest - n < size && !seen.has(n);
}

describe('ReplayWindow', () => {
  it('agrees with a set-based model and never accepts a nonce twice', () => {
    fc.assert(fc.property(
      fc.constantFrom(32, 64, 128),
      fc.array(fc.oneof(fc.nat(300), fc.nat(5000), fc.integer({ min: 2 ** 52, max: 2 ** 52 + 200 })), { maxLength: 300 }),
      (size, nonces) => {
        const w = new ReplayWindow(size);
        const seen = new Set<number>();
        let highest = -1;
        for (const n of nonces) {
          const expected = modelAccepts(seen, highest, size, n);
          expect(w.check(n)).toBe(expected);
          if (expected) {
            w.mark(n);
            seen.add(n);
            highest = Math.max(highest, n);
            expect(w.check(n)).toBe(false);
          }
        }
      },
    ), { numRuns: 200 });
  });

  it('accepts any permutation of nonces that fit in the window', () => {
    fc.assert(fc.property(
      fc.constantFrom(32, 64, 2048),
      fc.nat(100_000),
      fc.integer({ min: 1, max: 64 }),
      fc.infiniteStream(fc.nat()),
      (size, base, count, randoms) => {
        const n = Math.min(count, size);
        const nonces = Array.from({ length: n }, (_, i) => base + i);
        const it = randoms[Symbol.iterator]();
        for (let i = n - 1; i > 0; i--) {
          const j = it.next().value! % (i + 1);
          [nonces[i], nonces[j]] = [nonces[j]!, nonces[i]!];
        }
        const w = new ReplayWindow(size);
        for (const x of nonces) {
          expect(w.check(x)).toBe(true);
          w.mark(x);
        }
        for (const x of nonces) expect(w.check(x)).toBe(false);
      },
    ), { numRuns: 200 });
  });

  it('rejects a nonce exactly `size` below the highest and keeps the one just inside', () => {
    const w = new ReplayWindow(64);
    w.mark(1000);
    expect(w.check(1000 - 64)).toBe(false);
    expect(w.check(1000 - 63)).toBe(true);
    w.mark(1000 + 10_000);
    expect(w.check(1000 + 10_000 - 63)).toBe(true);
    expect(w.check(1000)).toBe(false);
  });

  it('refuses bad sizes', () => {
    expect(() => new ReplayWindow(33)).toThrow();
    expect(() => new ReplayWindow(0)).toThrow();
  });
});
