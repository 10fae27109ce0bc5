import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from '../errors.js';
import { local, tcp, udp, ws } from './address.js';
import type { Address } from './address.js';
import { formatRoute, parseRoute, stepForward } from './route.js';

const localValue = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .filter((s) => Buffer.byteLength(s) <= 255);
const port = fc.integer({ min: 0, max: 65535 }).map(String);
const ipv4 = fc.ipV4();
const hostName = fc.oneof(fc.domain(), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }).filter((s) => !/[\n\r\u2028\u2029]/.test(s)));
const tcpValue = fc.oneof(
  fc.tuple(ipv4, port).map(([h, p]) => `${h}:${p}`),
  fc.tuple(fc.ipV6(), port).map(([h, p]) => `[${h}]:${p}`),
  fc.tuple(hostName, port).map(([h, p]) => `${h}:${p}`),
);
const wsPath = fc.array(fc.constantFrom(...'abcXYZ019-._~!$&\'()*+,;=:@%/'.split('')), { maxLength: 30 }).map((c) => `/${c.join('')}`);
const wsValue = fc.tuple(fc.constantFrom('ws', 'wss'), fc.oneof(ipv4, fc.ipV6().map((h) => `[${h}]`), fc.domain()), port, wsPath)
  .map(([scheme, host, p, path]) => `${scheme}://${host}:${p}${path}`)
  .filter((url) => Buffer.byteLength(url) <= 255);
const addressArb: fc.Arbitrary<Address> = fc.oneof(localValue.map(local), tcpValue.map(tcp), wsValue.map(ws), tcpValue.map(udp));

describe('route text', () => {
  it('parses the documented forms', () => {
    expect(parseRoute('/service/echo')).toEqual([local('echo')]);
    expect(parseRoute('/secure/ch1')).toEqual([local('ch1')]);
    expect(parseRoute('/worker/tcp-conn-3')).toEqual([local('tcp-conn-3')]);
    expect(parseRoute('/ip4/127.0.0.1/tcp/4000/service/echo')).toEqual([tcp('127.0.0.1:4000'), local('echo')]);
    expect(parseRoute('/ip6/::1/tcp/4000')).toEqual([tcp('[::1]:4000')]);
    expect(parseRoute('/dns/localhost/tcp/80/')).toEqual([tcp('localhost:80')]);
    expect(parseRoute('/')).toEqual([]);
  });

  it('parses UDP hops', () => {
    expect(parseRoute('/ip4/127.0.0.1/udp/4000/service/echo')).toEqual([udp('127.0.0.1:4000'), local('echo')]);
    expect(parseRoute('/ip6/::1/udp/4000')).toEqual([udp('[::1]:4000')]);
    expect(parseRoute('/dns/hub.example/udp/4000')).toEqual([udp('hub.example:4000')]);
    expect(formatRoute([udp('10.0.0.1:4000'), local('api')])).toBe('/ip4/10.0.0.1/udp/4000/service/api');
    expect(() => parseRoute('/ip4/127.0.0.1/udp/99999')).toThrow(/not a port number/);
    expect(() => parseRoute('/ip4/127.0.0.1/sctp/1')).toThrow(/tcp\/PORT or \/udp\/PORT/);
  });

  it('parses WebSocket hops: /ws, /wss and a path', () => {
    expect(parseRoute('/ip4/127.0.0.1/tcp/4080/ws/service/api')).toEqual([ws('ws://127.0.0.1:4080/'), local('api')]);
    expect(parseRoute('/dns/proxy.example/tcp/443/wss/path/symbolon')).toEqual([ws('wss://proxy.example:443/symbolon')]);
    expect(parseRoute('/dns/proxy.example/tcp/443/wss/path/a%2Fb/service/x')).toEqual([ws('wss://proxy.example:443/a/b'), local('x')]);
    expect(parseRoute('/ip6/::1/tcp/80/ws')).toEqual([ws('ws://[::1]:80/')]);
    expect(formatRoute([ws('wss://proxy.example:443/a/b'), local('api')])).toBe('/dns/proxy.example/tcp/443/wss/path/a%2Fb/service/api');
    expect(formatRoute([ws('ws://[::1]:80/')])).toBe('/ip6/::1/tcp/80/ws');
    expect(() => parseRoute('/dns/a?b/tcp/80/ws')).toThrow(/does not make a WebSocket address/);
    expect(() => parseRoute('/ip4/1.2.3.4/tcp/80/ws/path/a b')).toThrow(/does not make a WebSocket address/);
    expect(() => parseRoute('/ip4/1.2.3.4/tcp/80/ws/path')).toThrow(/'\/path' needs a value/);
    expect(() => ws('http://a:1/')).toThrow(/ws address must be/);
    expect(() => ws('ws://a/')).toThrow(/ws address must be/);
    expect(() => ws('ws://a:1')).toThrow(/ws address must be/);
  });

  it('resolves /node/NAME through the resolver', () => {
    const resolveNode = (name: string) => {
      if (name !== 'n1') throw new Error(`no node ${name}`);
      return [tcp('127.0.0.1:5000')];
    };
    expect(parseRoute('/node/n1/service/echo', { resolveNode })).toEqual([tcp('127.0.0.1:5000'), local('echo')]);
    expect(() => parseRoute('/node/n1/service/echo')).toThrow(/'\/node\/n1'/);
  });

  it('rejects bad text with a message naming the segment', () => {
    const cases: Array<[string, RegExp]> = [
      ['service/echo', /must start with '\/'/],
      ['/service', /'\/service' needs a value/],
      ['/foo/bar', /unknown route segment '\/foo'/],
      ['/ip4/1.2.3/tcp/1', /'\/ip4\/1.2.3' is not an IPv4/],
      ['/ip6/zz/tcp/1', /'\/ip6\/zz' is not an IPv6/],
      ['/ip4/1.2.3.4/service/x', /must be followed by \/tcp\/PORT/],
      ['/ip4/1.2.3.4/tcp/70000', /'\/tcp\/70000' is not a port/],
      ['//service/x', /empty segment/],
      ['/service/a%zz', /bad escape/],
      [`/service/${'x'.repeat(256)}`, /longer than 255/],
    ];
    for (const [text, message] of cases) {
      let caught: unknown;
      try {
        parseRoute(text);
      } catch (e) {
        caught = e;
      }
      expect(caught, text).toBeInstanceOf(InvalidInputError);
      expect((caught as Error).message, text).toMatch(message);
    }
  });

  it('round-trips every route (property)', () => {
    fc.assert(
      fc.property(fc.array(addressArb, { maxLength: 8 }), (route) => {
        expect(parseRoute(formatRoute(route))).toEqual(route);
      }),
      { numRuns: 500 },
    );
  });

  it('escapes % and / in values', () => {
    const route = [local('a/b%c'), tcp('we/ird%:1')];
    expect(formatRoute(route)).toBe('/service/a%2Fb%25c/dns/we%2Fird%25/tcp/1');
    expect(parseRoute(formatRoute(route))).toEqual(route);
  });
});

describe('stepForward', () => {
  it('pops the first onward hop and pushes self on the return route', () => {
    const payload = new Uint8Array([1, 2]);
    const m = { onwardRoute: [local('a'), local('b')], returnRoute: [local('z')], payload, origin: { via: 'tcp' as const } };
    const next = stepForward(m, local('a'));
    expect(next.onwardRoute).toEqual([local('b')]);
    expect(next.returnRoute).toEqual([local('a'), local('z')]);
    expect(next.payload).toBe(payload);
    expect(next.origin).toEqual({ via: 'tcp' });
    expect(m.onwardRoute).toHaveLength(2);
  });
});
