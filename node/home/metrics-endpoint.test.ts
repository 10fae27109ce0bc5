import { describe, expect, it } from 'vitest';
import { isLoopbackHost, readMetricsEndpoint, sameMetricsEndpoint, validateMetricsEndpoint } from './metrics-endpoint.js';

describe('metrics endpoint', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '0:0:0:0:0:0:0:1']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1', 'localhost.example']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('accepts loopback, and another address only when acknowledged', () => {
    expect(validateMetricsEndpoint('127.0.0.1:9464')).toEqual({ listen: '127.0.0.1:9464' });
    expect(validateMetricsEndpoint('[::1]:0')).toEqual({ listen: '[::1]:0' });
    expect(() => validateMetricsEndpoint('0.0.0.0:9464')).toThrow(/not loopback.*--metrics-allow-remote/);
    expect(validateMetricsEndpoint('0.0.0.0:9464', { allowRemote: true })).toEqual({ listen: '0.0.0.0:9464', allowRemote: true });
    // An acknowledgement a loopback address does not need is not stored.
    expect(validateMetricsEndpoint('127.0.0.1:9464', { allowRemote: true })).toEqual({ listen: '127.0.0.1:9464' });
    expect(() => validateMetricsEndpoint('9464')).toThrow(/invalid metrics address '9464': use HOST:PORT/);
  });

  it('reads what was stored and refuses a malformed or unacknowledged entry', () => {
    expect(readMetricsEndpoint(undefined)).toBeUndefined();
    expect(readMetricsEndpoint({ listen: '10.0.0.1:9464', allowRemote: true })).toEqual({ listen: '10.0.0.1:9464', allowRemote: true });
    expect(() => readMetricsEndpoint({ listen: '10.0.0.1:9464' })).toThrow(/not loopback/);
    expect(() => readMetricsEndpoint({ listen: 1 })).toThrow(/"metrics" is malformed/);
    expect(sameMetricsEndpoint(undefined, undefined)).toBe(true);
    expect(sameMetricsEndpoint({ listen: '127.0.0.1:1' }, undefined)).toBe(false);
  });
});
