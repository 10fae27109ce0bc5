import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Home } from '../node/home/home.js';
import { readNodeConfig } from '../node/home/node-config.js';
import { parseRunConfig } from '../node/home/run-config.js';
import { createNode } from '../node/client/node-lifecycle.js';
import { applyHome, planHome } from '../node/client/run-apply.js';
import { runSteps } from './project-steps.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function home(): Home {
  const dir = mkdtempSync(join(tmpdir(), 'run-metrics-'));
  dirs.push(dir);
  return new Home(dir);
}

const config = (text: string) => parseRunConfig(text, { file: 'edge.yaml', env: {}, baseDir: '/' });

describe('run file metrics endpoint', () => {
  it('creates a node with the endpoint, and plans no change when the file says the same', async () => {
    const h = home();
    const file = config('node: {name: edge, metrics: "127.0.0.1:9464"}\n');
    expect(planHome(h, file, runSteps).changes).toMatchObject([{ action: 'create', kind: 'node', detail: 'listen 127.0.0.1:0, metrics 127.0.0.1:9464' }]);
    await applyHome(h, file, runSteps, () => undefined);
    expect(readNodeConfig(h, 'edge').metrics).toEqual({ listen: '127.0.0.1:9464' });
    expect(planHome(h, file, runSteps)).toMatchObject({ changes: [], restart: false });
  });

  it('changes the endpoint, and removes it when the file drops the key, restarting the node', async () => {
    const h = home();
    createNode(h, 'edge', { metrics: { listen: '127.0.0.1:9464' } });
    const moved = config('node: {name: edge, metrics: "127.0.0.1:9999"}\n');
    expect(planHome(h, moved, runSteps)).toMatchObject({ restart: true, changes: [{ action: 'change', kind: 'node', detail: 'metrics: 127.0.0.1:9464 -> 127.0.0.1:9999' }] });
    await applyHome(h, moved, runSteps, () => undefined);
    expect(readNodeConfig(h, 'edge').metrics).toEqual({ listen: '127.0.0.1:9999' });

    const dropped = config('node: {name: edge}\n');
    expect(planHome(h, dropped, runSteps).changes).toMatchObject([{ detail: 'metrics: 127.0.0.1:9999 -> none' }]);
    await applyHome(h, dropped, runSteps, () => undefined);
    expect(readNodeConfig(h, 'edge').metrics).toBeUndefined();
  });
});
