import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Home } from '../home/home.js';
import { readNodeConfig } from '../home/node-config.js';
import { parseRunConfig, RunConfigError } from '../home/run-config.js';
import { listVaults } from '../home/vault-registry.js';
import { applyHome, planHome, type RunSteps } from './run-apply.js';

/** Run steps this test never reaches (no identity, project or enrollment in its files): each one fails the test. */
const UNUSED_STEPS: RunSteps = {
  nodeIdentity: () => undefined,
  setNodeIdentity: () => { throw new Error('not expected: setNodeIdentity'); },
  prepareProject: async () => { throw new Error('not expected: prepareProject'); },
  undoProject: async () => { throw new Error('not expected: undoProject'); },
  joinProject: async () => { throw new Error('not expected: joinProject'); },
  enroll: async () => { throw new Error('not expected: enroll'); },
};

const FILE = [
  'vaults:',
  '  - name: keys',
  '    kind: file',
  '  - name: hsm',
  '    kind: pkcs11',
  '    module: ${HSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}',
  '    token-label: bank',
  '    pin-env: HSM_PIN',
  'node:',
  '  name: edge',
  '  gc: single-threaded',
].join('\n');

describe('run files: vaults and gc on the home', () => {
  let root: string;
  let home: Home;
  const parse = (text: string) => parseRunConfig(text, { file: 'bank.yaml', env: {}, baseDir: root });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sym-run-home-'));
    home = new Home(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates the listed vaults before the node, with the node\'s gc; a second run changes nothing; a gc change restarts', async () => {
    const config = parse(FILE);
    expect(config.vaults.map((v) => [v.name, v.type, v.config])).toEqual([
      ['keys', 'file', {}], ['hsm', 'pkcs11', { module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'bank', pinEnv: 'HSM_PIN' }],
    ]);
    const made: string[] = [];
    const plan = await applyHome(home, config, UNUSED_STEPS, (c) => made.push(`${c.action} ${c.kind} ${c.name}${c.detail ? ` (${c.detail})` : ''}`));
    expect(made).toEqual(['create vault keys (kind file)', 'create vault hsm (kind pkcs11)', 'create node edge (listen 127.0.0.1:0, gc single-threaded)']);
    expect(plan.restart).toBe(false);
    expect(listVaults(home).map((v) => [v.name, v.type])).toEqual([['default', 'file'], ['hsm', 'pkcs11'], ['keys', 'file']]);
    expect(readNodeConfig(home, 'edge').gc).toBe('single-threaded');

    expect(planHome(home, config, UNUSED_STEPS).changes).toEqual([]);
    const parallel = planHome(home, parse(FILE.replace('gc: single-threaded', 'gc: parallel')), UNUSED_STEPS);
    expect(parallel.changes.map((c) => c.detail)).toEqual(['gc: single-threaded -> parallel']);
    expect(parallel.restart).toBe(true);
  });

  it('refuses a vault whose settings changed, a key of another kind, and a PIN in the file, naming key and line', async () => {
    await applyHome(home, parse(FILE), UNUSED_STEPS, () => undefined);
    expect(() => planHome(home, parse(FILE.replace('token-label: bank', 'token-label: other')), UNUSED_STEPS))
      .toThrow(/bank.yaml: vaults\[1\]: vault 'hsm' exists with other settings \(pkcs11\); a vault's settings do not change.* \(line 4\)/);
    const stray = (text: string): string => {
      try {
        parse(text);
      } catch (err) {
        expect(err).toBeInstanceOf(RunConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a RunConfigError');
    };
    expect(stray('vaults:\n  - name: keys\n    kind: file\n    region: eu-west-1\n')).toBe('bank.yaml: vaults[0].region: does not apply to a file vault (line 4)');
    expect(stray('vaults:\n  - name: hsm\n    kind: pkcs11\n    module: /m.so\n    token-label: t\n    pin: "1234"\n')).toBe('bank.yaml: vaults[0].pin: a PIN never sits in a run file: name the variable that holds it (pin-env) or a 0600 file (pin-file) (line 6)');
    expect(stray('vaults:\n  - name: default\n    kind: file\n')).toBe("bank.yaml: vaults[0].name: vault 'default' is built in (line 2)");
  });
});
