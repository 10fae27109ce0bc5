import { describe, expect, it } from 'vitest';
import { LastError } from './last-error.js';

describe('LastError', () => {
  it('is empty until something fails', () => {
    const e = new LastError();
    e.succeed(5);
    expect(e.state()).toEqual({});
    expect(e.current).toBeUndefined();
  });

  it('marks an error recovered at the first success after it, and current again on the next error', () => {
    const e = new LastError();
    e.fail('refused', 10);
    expect(e.state()).toEqual({ lastError: 'refused', lastErrorAt: 10 });
    expect(e.current).toBe('refused');
    e.succeed(20);
    e.succeed(30);
    expect(e.state()).toEqual({ lastError: 'refused', lastErrorAt: 10, recoveredAt: 20 });
    expect(e.current).toBeUndefined();
    e.fail('unreachable', 40);
    expect(e.state()).toEqual({ lastError: 'unreachable', lastErrorAt: 40 });
  });
});
