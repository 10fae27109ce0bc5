import { Args, Flags } from '@oclif/core';
import type { SigningKeyType } from '../../../core/vault/keys.js';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { readIdentityRecord, rotateIdentityRecord } from '../../../node/home/identity-registry.js';

/** `symbolon identity rotate NAME`: moves an identity to a new primary key, keeping its identifier. */
export default class IdentityRotate extends BaseCommand {
  static override summary = 'Rotate an identity to a new primary key (optionally in another vault).';
  static override description = 'Generates a new primary key (in --vault, default the current vault) and appends a change signed by both the current and the new key. The identifier stays the same, so peers and authorities keep recognizing it. Running nodes pick up the new key when restarted; their purpose keys are then re-attested.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> bank',
    '<%= config.bin %> <%= command.id %> bank --vault hsm --key-type p256',
  ];
  static override args = { name: Args.string({ description: 'identity name', required: true }) };
  static override flags = {
    vault: Flags.string({ description: 'vault for the new key (default: the current vault)' }),
    'key-type': Flags.string({ description: 'algorithm of the new key (default: the current one when the vault offers it)', options: ['ed25519', 'p256'] }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(IdentityRotate);
    const before = readIdentityRecord(this.home, args.name);
    const record = await rotateIdentityRecord(this.home, args.name, {
      ...(flags.vault ? { vault: flags.vault } : {}), ...(flags['key-type'] ? { keyType: flags['key-type'] as SigningKeyType } : {}),
    });
    this.log(`Identity ${args.name} rotated; identifier unchanged`);
    this.log(fields([['identifier', record.identifier], ['vault', `${before.vault} -> ${record.vault}`], ['key type', record.keyHandle.type]]));
    return { name: args.name, identifier: record.identifier, previousVault: before.vault, vault: record.vault, keyType: record.keyHandle.type };
  }
}
