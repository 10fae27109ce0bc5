import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from '../errors.js';
import { formatHostPort, parseHostPort } from './host-port.js';

describe('host:port', () => {
  it('parses names, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('127.0.0.1:5432', 'to')).toEqual({ host: '127.0.0.1', port: 5432 });
    expect(parseHostPort('db.example:1', 'to')).toEqual({ host: 'db.example', port: 1 });
    expect(parseHostPort('[::1]:80', 'to')).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort('127.0.0.1:0', 'from', true).port).toBe(0);
  });

  it('rejects malformed input', () => {
    for (const bad of ['', '5432', ':5432', 'h:', 'h:65536', 'h:0', '::1:80', 'a b:1', 'h:-1']) {
      expect(() => parseHostPort(bad, 'to')).toThrow(InvalidInputError);
    }
  });

  it('round-trips with formatHostPort', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain()), fc.integer({ min: 1, max: 65535 }), (host, port) => {
      expect(parseHostPort(formatHostPort(host, port), 'to')).toEqual({ host, port });
    }));
  });
});
