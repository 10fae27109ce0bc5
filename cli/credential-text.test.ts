import { describe, expect, it } from 'vitest';
import { parseTtlMs } from './credential-text.js';

describe('credential --ttl', () => {
  it('parses a validity into milliseconds', () => {
    expect(parseTtlMs('90s')).toBe(90_000);
    expect(parseTtlMs('10m')).toBe(600_000);
    expect(parseTtlMs('12h')).toBe(43_200_000);
    expect(parseTtlMs('366d')).toBe(366 * 86_400_000);
  });

  it('refuses zero, fractions, bare numbers and more than 366 days', () => {
    for (const bad of ['0s', '1.5h', '600', '367d', '', '-1m']) expect(() => parseTtlMs(bad), bad).toThrow(/invalid validity/);
  });
});
