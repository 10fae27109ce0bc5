import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from '../errors.js';
import { formatHostPort, parseHostPort } from './host-port.js';

const port = fc.integer({ min: 1, max: 65535 });
/** Hosts users write: IPv4, IPv6 (bracketed by formatHostPort), DNS names, container names. */
const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain(), fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/));

describe('host:port', () => {
  it('parses what the docs and users write', () => {
    expect(parseHostPort('127.0.0.1:5432')).toEqual({ host: '127.0.0.1', port: 5432 });
    expect(parseHostPort('127.0.0.1:0', { allowZero: true })).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('0.0.0.0:4000')).toEqual({ host: '0.0.0.0', port: 4000 });
    expect(parseHostPort('localhost:4000')).toEqual({ host: 'localhost', port: 4000 });
    expect(parseHostPort('db.example:1')).toEqual({ host: 'db.example', port: 1 });
    expect(parseHostPort('db.example.:1')).toEqual({ host: 'db.example.', port: 1 });
    expect(parseHostPort('my_postgres:5432')).toEqual({ host: 'my_postgres', port: 5432 });
    expect(parseHostPort('[::1]:65535')).toEqual({ host: '::1', port: 65535 });
    expect(parseHostPort('[::]:0', { allowZero: true })).toEqual({ host: '::', port: 0 });
    expect(parseHostPort('[::ffff:127.0.0.1]:80')).toEqual({ host: '::ffff:127.0.0.1', port: 80 });
  });

  it('rejects anything else with an error that names the value and the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/], ['5432', /no port/], [':5432', /no host/], ['h:', /no port/], ['h:65536', /1\.\.65535/],
      ['h:0', /1\.\.65535/], ['h:-1', /not a port/], ['h:x', /not a port/], ['h:123456', /not a port/],
      ['::1:80', /needs brackets: \[::1\]:80/], ['a:b:1', /more than one colon/], ['[zz]:1', /not an IPv6/],
      ['[::1]', /followed by :PORT/], ['[::1]:', /no port/], ['a b:1', /not a host name/], ['-a:1', /not a host name/],
      ['a..b:1', /not a host name/], ['999.1.1.1:1', /not an IPv4/], ['1.2.3:1', /not an IPv4/],
      [`${'a'.repeat(64)}:1`, /not a host name/], [`${'a.'.repeat(127)}a:1`, /not a host name/],
    ];
    for (const [bad, why] of cases) {
      expect(() => parseHostPort(bad, { what: '--to' }), bad).toThrow(InvalidInputError);
      expect(() => parseHostPort(bad, { what: '--to' }), bad).toThrow(why);
      expect(() => parseHostPort(bad, { what: '--to' }), bad).toThrow(`--to must be HOST:PORT`);
    }
  });

  it('uses the origin it is given', () => {
    expect(() => parseHostPort('x', { origin: 'portal' })).toThrow(expect.objectContaining({ origin: 'portal', kind: 'invalid' }));
    expect(() => parseHostPort('x')).toThrow(expect.objectContaining({ origin: 'transport' }));
  });

  it('round-trips every host and port through formatHostPort (property)', () => {
    fc.assert(fc.property(host, port, (h, p) => {
      expect(parseHostPort(formatHostPort(h, p))).toEqual({ host: h, port: p });
    }), { numRuns: 500 });
  });

  it('accepts exactly the ports 1..65535, and 0 only for listeners (property)', () => {
    fc.assert(fc.property(fc.integer({ min: -10, max: 200_000 }), (p) => {
      const text = `127.0.0.1:${p}`;
      const ok = p >= 1 && p <= 65535;
      if (ok) expect(parseHostPort(text).port).toBe(p);
      else expect(() => parseHostPort(text)).toThrow(InvalidInputError);
      if (ok || p === 0) expect(parseHostPort(text, { allowZero: true }).port).toBe(p);
    }), { numRuns: 500 });
  });

  it('throws only InvalidInputError on arbitrary text, and what it accepts formats back to itself (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (text) => {
      let parsed;
      try {
        parsed = parseHostPort(text);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidInputError);
        return;
      }
      expect(parsed.host).not.toMatch(/[\s[\]]/);
      expect(parsed.port).toBeGreaterThan(0);
      if (!/^0\d/.test(String(text.split(':').pop()))) expect(formatHostPort(parsed.host, parsed.port)).toBe(text);
    }), { numRuns: 2000 });
  });

  it('brackets IPv6 when formatting', () => {
    expect(formatHostPort('::1', 5)).toBe('[::1]:5');
    expect(formatHostPort('10.0.0.1', 5)).toBe('10.0.0.1:5');
  });
});
