import { describe, expect, it } from 'vitest';
import { DEFAULT_LOG_LIMITS, formatLogSize, parseLogFiles, parseLogSize, readLogLimits } from './log-limits.js';

describe('log limits', () => {
  it('parses sizes with units (powers of 1024)', () => {
    expect(parseLogSize('10MB')).toBe(10 * 1024 * 1024);
    expect(parseLogSize('512kb')).toBe(512 * 1024);
    expect(parseLogSize('1G')).toBe(1024 ** 3);
    expect(parseLogSize(65536)).toBe(65536);
    for (const bad of ['', '10 parsecs', '-1MB', '100', '2000GB']) expect(() => parseLogSize(bad)).toThrow(/invalid log-max-size/);
  });
  it('checks file counts', () => {
    expect(parseLogFiles('5')).toBe(5);
    for (const bad of ['0', '1.5', 'x', 1001]) expect(() => parseLogFiles(bad)).toThrow(/invalid log-max-files/);
  });
  it('reads stored limits, defaulting what is missing or malformed', () => {
    expect(readLogLimits(undefined)).toEqual(DEFAULT_LOG_LIMITS);
    expect(readLogLimits({ maxSize: 8192, maxFiles: 'x' })).toEqual({ maxSize: 8192, maxFiles: DEFAULT_LOG_LIMITS.maxFiles });
    expect(formatLogSize(10 * 1024 * 1024)).toBe('10MB');
    expect(formatLogSize(1500)).toBe('1500B');
  });
});
