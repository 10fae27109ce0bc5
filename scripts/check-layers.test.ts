import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { checkLayers } from './check-layers.mjs';

let dir: string | undefined;
function tree(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [p, src] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), src);
  }
  return dir;
}
afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('checkLayers', () => {
  it('accepts the allowed direction', () => {
    const root = tree({
      'core/a.ts': "export const a = 1;",
      'policy/p.ts': "import { a } from '../core/a.js';",
      'authority/x.ts': "import { a } from '../core/a.js'; import '../policy/p.js';",
      'vaults/file/v.ts': "import type { a } from '../../core/a.js';",
      'cli/c.ts': "import '../vaults/file/v.js'; import '../authority/x.js';",
    });
    expect(checkLayers(root)).toEqual([]);
  });
  it('rejects core importing policy, a vault importing another vault, and imports of cli', () => {
    const root = tree({
      'core/a.ts': "import { p } from '../policy/p.js';",
      'policy/p.ts': "export const p = await import('../cli/c.js');",
      'vaults/aws-kms/k.ts': "import { f } from '../file/f.js';",
      'vaults/file/f.ts': "export const f = 1;",
      'cli/c.ts': "",
    });
    const problems = checkLayers(root);
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/core\/ must not import policy/);
    expect(problems.join('\n')).toMatch(/policy\/ must not import cli/);
    expect(problems.join('\n')).toMatch(/vault 'aws-kms' imports vault 'file'/);
  });
});
