import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VAULT_KINDS } from '../../../node/home/vault-registry.js';
import { runCommand } from '../../testing/run-command.js';
import VaultCreate from './create.js';

describe('vault create (flags from the vault kinds)', () => {
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-vcreate-'));
    saved = process.env.SYMBOLON_HOME;
    process.env.SYMBOLON_HOME = join(dir, 'home');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.SYMBOLON_HOME;
    else process.env.SYMBOLON_HOME = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('offers every kind as --type and every kind flag, with the kinds it applies to in its help', () => {
    expect(VaultCreate.flags.type!.options).toEqual(VAULT_KINDS.map((k) => k.type));
    for (const kind of VAULT_KINDS) {
      for (const flag of kind.flags) expect((VaultCreate.flags as Record<string, { description?: string }>)[flag.flag]?.description, flag.flag).toContain(`${kind.type}: `);
    }
  });

  it('turns a kind\'s flags into its config fields (lists, switches) and refuses flags of other kinds', async () => {
    const kms = await runCommand(VaultCreate, ['kms', '--type', 'aws-kms', '--region', 'eu-west-1', '--key-id', 'alias/a', '--key-id', 'alias/b', '--json']);
    expect(kms.json().vault).toMatchObject({ name: 'kms', type: 'aws-kms', config: { region: 'eu-west-1', keyIds: ['alias/a', 'alias/b'] } });
    const akv = await runCommand(VaultCreate, ['akv', '--type', 'azure', '--vault-url', 'https://bank.vault.azure.net', '--key-name', 'k', '--json']);
    expect(akv.json().vault.config).toEqual({ vaultUrl: 'https://bank.vault.azure.net', keyName: 'k' });
    const hsm = await runCommand(VaultCreate, ['hsm', '--type', 'pkcs11', '--module', '/m.so', '--token-label', 't', '--pin-env', 'PIN', '--json']);
    expect(hsm.json().vault.config).toEqual({ module: '/m.so', tokenLabel: 't', pinEnv: 'PIN' });
    const stray = await runCommand(VaultCreate, ['x', '--type', 'pkcs11', '--module', '/m.so', '--token-label', 't', '--pin-env', 'PIN', '--key-name', 'k']);
    expect([stray.code, stray.stderr]).toEqual([2, 'Error: --key-name does not apply to a pkcs11 vault\n']);
    const bad = await runCommand(VaultCreate, ['y', '--type', 'aws-kms', '--region', 'nowhere']);
    expect(bad.stderr).toMatch(/region/);
  });
});
