import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { AbortedError } from '../../core/errors.js';
import { backoffDelay, retryWithBackoff } from './backoff.js';

describe('backoffDelay', () => {
  test.prop([fc.nat(20), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 0.999999, noNaN: true })])(
    'stays within [0, min(max, base * 2^retry))',
    (retry, base, max, r) => {
      const d = backoffDelay(retry, { baseDelayMs: base, maxDelayMs: max, random: () => r });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.max(1, Math.min(max, base * 2 ** retry)));
    },
  );
});

describe('retryWithBackoff', () => {
  const fast = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 };

  it('retries retryable errors until success', async () => {
    let calls = 0;
    const out = await retryWithBackoff(async () => {
      calls++;
      if (calls < 3) throw new Error('busy');
      return 'ok';
    }, () => true, fast);
    expect(out).toBe('ok');
    expect(calls).toBe(3);
  });

  it('stops after maxAttempts and throws the last error', async () => {
    let calls = 0;
    await expect(retryWithBackoff(async () => { calls++; throw new Error(`busy ${calls}`); }, () => true, fast)).rejects.toThrow('busy 4');
    expect(calls).toBe(4);
  });

  it('does not retry errors that are not retryable', async () => {
    let calls = 0;
    await expect(retryWithBackoff(async () => { calls++; throw new Error('denied'); }, () => false, fast)).rejects.toThrow('denied');
    expect(calls).toBe(1);
  });

  it('an abort during the wait ends it with AbortedError', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = retryWithBackoff(async () => { throw new Error('busy'); }, () => true, { maxAttempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 0.99, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
