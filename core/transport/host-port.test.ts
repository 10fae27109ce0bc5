import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.js';
import { formatHostPort, parseHostPort } from './host-port.js';

describe('host:port', () => {
  it('parses names, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('localhost:4000')).toEqual({ host: 'localhost', port: 4000 });
    expect(parseHostPort('[::1]:65535')).toEqual({ host: '::1', port: 65535 });
  });

  it('rejects anything else', () => {
    for (const bad of ['', ':80', 'host', 'host:', 'host:65536', 'host:x', '[zz]:1', 'a b:1']) {
      expect(() => parseHostPort(bad), bad).toThrow(InvalidInputError);
    }
  });

  it('brackets IPv6 when formatting', () => {
    expect(formatHostPort('::1', 5)).toBe('[::1]:5');
    expect(formatHostPort('10.0.0.1', 5)).toBe('10.0.0.1:5');
  });
});
