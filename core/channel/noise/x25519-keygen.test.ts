import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const stress = fileURLToPath(new URL('./testing/keygen-stress.ts', import.meta.url));

describe('X25519 key generation', () => {
  // Node 20 deadlocks when a key is exported from a freshly generated KeyObject and a garbage
  // collection inside the export destroys the generation job (both take the key's mutex).
  // A tiny young generation makes collections frequent: the old code hung within ~4,000 keys.
  it('never deadlocks under frequent garbage collection', () => {
    const out = spawnSync(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', stress, '10000', '300'], { encoding: 'utf8', timeout: 45_000 });
    expect(out.stderr).toBe('');
    expect(out.signal, 'the key generation child hung (killed at the timeout)').toBeNull();
    expect(out.stdout.trim()).toBe('ok');
  }, 50_000);
});
