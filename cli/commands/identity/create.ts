import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { createIdentityRecord, defaultIdentityName, identityNames } from '../../../node/home/identity-registry.js';
import type { SigningKeyType } from '../../../core/vault/keys.js';
import { DEFAULT_VAULT } from '../../../node/home/vault-registry.js';

/** `symbolon identity create [NAME]`: a new identity with its primary key in a vault. */
export default class IdentityCreate extends BaseCommand {
  static override summary = 'Create an identity.';
  static override description = `Generates a primary key in a vault (--vault, default: the home's file vault) and signs the identity's first change with it. The identifier (I + hex) is derived from that change and never changes, even when the key is rotated. A KMS vault configured with existing keys (--key-id, --key-name) lends its first unused key. The first identity of the home becomes its default identity; nodes run as it unless created with --identity.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> bank --vault hsm --key-type p256',
    '<%= config.bin %> <%= command.id %> admin --json',
  ];
  static override args = { name: Args.string({ description: 'identity name (default: the home default identity name)', required: false }) };
  static override flags = {
    vault: Flags.string({ description: 'vault for the primary key', default: DEFAULT_VAULT }),
    'key-type': Flags.string({ description: 'primary key algorithm (default ed25519, or p256 where the vault has only that)', options: ['ed25519', 'p256'] }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(IdentityCreate);
    const home = this.home;
    const name = args.name ?? defaultIdentityName(home);
    const first = identityNames(home).length === 0;
    const record = await createIdentityRecord(home, name, { vault: flags.vault, ...(flags['key-type'] ? { keyType: flags['key-type'] as SigningKeyType } : {}) });
    if (first && home.readConfig().defaultIdentity === undefined) home.updateConfig((c) => ({ ...c, defaultIdentity: name }));
    this.log(`Identity ${name} created`);
    this.log(fields([['identifier', record.identifier], ['vault', record.vault], ['key type', record.keyHandle.type]]));
    return { name, identifier: record.identifier, vault: record.vault, keyType: record.keyHandle.type, isDefault: defaultIdentityName(home) === name };
  }
}
