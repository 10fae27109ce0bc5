import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Home } from './home.js';
import { addVault, DEFAULT_VAULT, fileVaultDir, getVault, listVaults, openVault, removeVault } from './vault-registry.js';

describe('vault registry', () => {
  let dir: string;
  let home: Home;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-vreg-'));
    home = new Home(join(dir, 'home'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('always lists the built-in default file vault, created on first open with private permissions', async () => {
    expect(listVaults(home).map((v) => [v.name, v.type])).toEqual([['default', 'file']]);
    const opened = await openVault(home, DEFAULT_VAULT);
    const handle = await opened.signing.generateSigningKey('ed25519');
    expect(handle.vault).toBe('default');
    expect(opened.secureChannel).toBe(opened.signing);
    expect(statSync(fileVaultDir(home, 'default')).mode & 0o777).toBe(0o700);
    expect(statSync(join(home.root, 'vaults')).mode & 0o777).toBe(0o700);
    await opened.close();
  });

  it('adds, lists, shows and removes vaults in a 0600 vaults.json', () => {
    addVault(home, 'keys', 'file');
    addVault(home, 'kms', 'aws-kms', { region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566', keyIds: ['alias/bank'] });
    addVault(home, 'hsm', 'pkcs11', { module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'bank', pinEnv: 'HSM_PIN' });
    expect(listVaults(home).map((v) => v.name)).toEqual(['default', 'hsm', 'keys', 'kms']);
    expect(getVault(home, 'kms').config).toEqual({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566', keyIds: ['alias/bank'] });
    expect(statSync(join(home.root, 'vaults.json')).mode & 0o777).toBe(0o600);
    expect(statSync(fileVaultDir(home, 'keys')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(home.root, 'vaults.json'), 'utf8')).not.toMatch(/pin"\s*:/i);
    removeVault(home, 'keys');
    expect(() => statSync(fileVaultDir(home, 'keys'))).toThrow();
    expect(listVaults(home).map((v) => v.name)).toEqual(['default', 'hsm', 'kms']);
  });

  it('refuses bad names, duplicates, the default name, secrets and wrong configs', () => {
    for (const bad of ['', 'Bad', '../x', 'a/b', 'x'.repeat(64), '-x']) expect(() => addVault(home, bad, 'file')).toThrow(/invalid vault name/);
    addVault(home, 'keys', 'file');
    expect(() => addVault(home, 'keys', 'file')).toThrow(/already exists/);
    expect(() => addVault(home, 'default', 'file')).toThrow(/built in/);
    expect(() => addVault(home, 'hsm', 'pkcs11', { module: '/m.so', tokenLabel: 't', pin: '1234' })).toThrow(/never stored/);
    expect(() => addVault(home, 'hsm', 'pkcs11', { module: '/m.so', tokenLabel: 't' })).toThrow(/pinEnv or pinFile/);
    expect(() => addVault(home, 'kms', 'aws-kms', { region: 'nowhere' })).toThrow(/region/);
    expect(() => addVault(home, 'akv', 'azure', { vaultUrl: 'http://x.vault.azure.net' })).toThrow(/https/);
    expect(() => addVault(home, 'f', 'file', { path: '/etc' })).toThrow(/no configuration/);
    expect(() => removeVault(home, 'default')).toThrow(/built in/);
    expect(() => getVault(home, 'ghost')).toThrow(/does not exist/);
  });
});
