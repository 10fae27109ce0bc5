import { describe, expect, it } from 'vitest';
import { findInletName } from './inlet-name.js';

describe('findInletName', () => {
  const names = ['127.0.0.1:15440', '[::1]:15441', '0.0.0.0:15442', '10.1.2.3:15443'];

  it('finds an inlet by its own text, by a host name or IP spelling of the same address, or on a wildcard', async () => {
    expect(await findInletName(names, '127.0.0.1:15440')).toBe('127.0.0.1:15440');
    expect(await findInletName(names, 'localhost:15440')).toBe('127.0.0.1:15440');
    expect(await findInletName(names, 'LOCALHOST:15440')).toBe('127.0.0.1:15440');
    expect(await findInletName(names, '[0:0:0:0:0:0:0:1]:15441')).toBe('[::1]:15441');
    expect(await findInletName(names, 'localhost:15442')).toBe('0.0.0.0:15442');
  });

  it('finds nothing on another port, another address or a malformed name', async () => {
    expect(await findInletName(names, 'localhost:15444')).toBeUndefined();
    expect(await findInletName(names, '127.0.0.1:15443')).toBeUndefined();
    expect(await findInletName(names, 'no-such-host.invalid:15440')).toBeUndefined();
    expect(await findInletName(names, 'nonsense')).toBeUndefined();
  });
});
