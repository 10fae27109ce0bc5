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
      'core/testing/fixture.ts': "import { a } from '../a.js';",
      'core/a.test.ts': "import './testing/fixture.js';",
      'policy/p.ts': "import { a } from '../core/a.js';",
      'authority/x.ts': "import { a } from '../core/a.js'; import '../policy/p.js';",
      'vaults/file/v.ts': "import type { a } from '../../core/a.js';",
      'node/api/n.ts': "import '../../core/a.js';",
      'node/home/h.ts': "import '../api/n.js'; import '../../vaults/file/v.js';",
      'node/client/c.ts': "import '../home/h.js'; import '../api/n.js';",
      'node/daemon/d.ts': "import '../home/h.js'; import '../../authority/x.js';",
      'cli/c.ts': "import '../node/client/c.js'; import '../authority/x.js';",
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
      'integration/t.test.ts': "import '../cli/c.js';",
    });
    const problems = checkLayers(root);
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/core\/ must not import policy/);
    expect(problems.join('\n')).toMatch(/policy\/ must not import cli/);
    expect(problems.join('\n')).toMatch(/integration\/ must not import cli/);
    expect(problems.join('\n')).toMatch(/vault 'aws-kms' imports vault 'file'/);
  });
  it('rejects authority importing node, node importing cli, home or client importing the daemon', () => {
    const root = tree({
      'authority/x.ts': "import '../node/home/h.js';",
      'node/home/h.ts': "import '../daemon/d.js';",
      'node/client/c.ts': "import '../daemon/d.js';",
      'node/daemon/d.ts': "import '../../cli/c.js';",
      'cli/c.ts': "",
    });
    const problems = checkLayers(root).join('\n');
    expect(problems).toMatch(/authority\/ must not import node/);
    expect(problems).toMatch(/node\/home must not import node\/daemon/);
    expect(problems).toMatch(/node\/client must not import node\/daemon/);
    expect(problems).toMatch(/node\/ must not import cli/);
  });
  it('rejects shipped code that imports test support', () => {
    const root = tree({
      'core/channel/testing/fixture.ts': "export const f = 1;",
      'core/channel/x.ts': "import './testing/fixture.js';",
    });
    expect(checkLayers(root)).toEqual([expect.stringMatching(/code that ships imports test support/)]);
  });
});
