import { describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { MAX_SOCKET_PATH_BYTES, chooseSocketPath } from './socket-path.js';

describe('chooseSocketPath', () => {
  it('keeps a short preferred path', () => {
    expect(chooseSocketPath('/tmp/h/nodes/n1/control.sock', 'k')).toBe('/tmp/h/nodes/n1/control.sock');
  });

  it('moves a long path into a private per-user temp folder, stable per key', () => {
    const long = `/tmp/${'x'.repeat(120)}/nodes/n1/control.sock`;
    const a = chooseSocketPath(long, 'home-a\0n1');
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(MAX_SOCKET_PATH_BYTES);
    expect(chooseSocketPath(long, 'home-a\0n1')).toBe(a);
    expect(chooseSocketPath(long, 'home-b\0n1')).not.toBe(a);
    expect(statSync(dirname(a)).mode & 0o777).toBe(0o700);
  });
});
