import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { parseAttributeFlags, parseLongDuration, parseSince } from './project-setup.js';
import { routeForListener, readAuthoritySection } from '../home/project-node.js';

describe('project command helpers', () => {
  it('parses attributes, keeping "=" in values and refusing malformed or repeated keys', () => {
    expect(parseAttributeFlags(['component=db', 'expr=a=b'])).toEqual({ component: 'db', expr: 'a=b' });
    expect(parseAttributeFlags(undefined)).toEqual({});
    expect(() => parseAttributeFlags(['nokey'])).toThrow(/KEY=VALUE/);
    expect(() => parseAttributeFlags(['=v'])).toThrow(/KEY=VALUE/);
    expect(() => parseAttributeFlags(['a=1', 'a=2'])).toThrow(/twice/);
  });

  test.prop([fc.integer({ min: 1, max: 365 }), fc.constantFrom('s', 'm', 'h', 'd')])('parses durations with units', (n, unit) => {
    const factor = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
    expect(parseLongDuration(`${n}${unit}`)).toBe(n * factor);
  });

  it('refuses bad durations and reads --since as a time or a duration', () => {
    for (const bad of ['', '0', '-1m', '10x', '400d']) expect(() => parseLongDuration(bad)).toThrow(/invalid duration/);
    expect(parseSince('10m', 1_000_000)).toBe(1_000_000 - 600_000);
    expect(parseSince('2024-05-01T00:00:00Z')).toBe(Date.UTC(2024, 4, 1));
    expect(() => parseSince('yesterday')).toThrow(/--since/);
  });

  it('turns listener addresses into routes', () => {
    expect(routeForListener('127.0.0.1:4000')).toBe('/ip4/127.0.0.1/tcp/4000');
    expect(routeForListener('0.0.0.0:4000')).toBe('/ip4/127.0.0.1/tcp/4000');
    expect(routeForListener('[::1]:4000')).toBe('/ip6/::1/tcp/4000');
    expect(routeForListener('example.com:4000')).toBe('/dns/example.com/tcp/4000');
    expect(() => routeForListener('nope')).toThrow(/invalid TCP listener/);
  });

  it('reads the authority section and refuses a malformed one', () => {
    expect(readAuthoritySection(undefined)).toBeUndefined();
    expect(readAuthoritySection({ project: 'p', route: '/ip4/127.0.0.1/tcp/1', admin: 'I1' })).toEqual({ project: 'p', route: '/ip4/127.0.0.1/tcp/1', admin: 'I1' });
    expect(() => readAuthoritySection({ project: 'p' })).toThrow(/malformed/);
  });
});
