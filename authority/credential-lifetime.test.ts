import { describe, expect, it } from 'vitest';
import { validateAttributes, validateRelayNames, grantedAttributes } from './attributes.js';
import { credentialRefreshAt, DEFAULT_CREDENTIAL_TTL_MS } from './credential-lifetime.js';

describe('credential lifetime and attributes', () => {
  it('refreshes with 20% of the lifetime left, at least 60 s before expiry', () => {
    expect(credentialRefreshAt(0, DEFAULT_CREDENTIAL_TTL_MS)).toBe(48 * 60 * 1000);
    expect(credentialRefreshAt(0, 120_000)).toBe(60_000);
    expect(credentialRefreshAt(1000, 30_000)).toBe(1000);
  });

  it('validates attribute names and relay names', () => {
    expect(validateAttributes({ b: '2', a: '1' })).toEqual({ a: '1', b: '2' });
    expect(() => validateAttributes({ 'a b': 'x' })).toThrow(/attribute name "a b" is not allowed/);
    expect(() => validateAttributes({ _x: 'x' })).toThrow(/not allowed/);
    expect(() => validateAttributes({ identifier: 'x' })).toThrow(/reserved/);
    expect(() => validateAttributes({ a: 1 })).toThrow(/must be a string/);
    expect(validateRelayNames(['b', 'a', 'b'])).toEqual(['a', 'b']);
    expect(() => validateRelayNames(['no/slash'])).toThrow(/invalid relay name/);
    expect(grantedAttributes({ c: 'x' }, ['z', 'y'])).toEqual({ c: 'x', relay: 'y,z' });
  });
});
