import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { identitiesUsingVault } from '../../../node/home/identity-registry.js';
import { describeVaultConfig, getVault } from '../../../node/home/vault-registry.js';

/** `symbolon vault show NAME`: one vault's kind and configuration (never a secret). */
export default class VaultShow extends BaseCommand {
  static override summary = 'Show a vault and the identities using it.';
  static override description = 'Prints the vault kind and its stored configuration. Nothing secret is stored, so nothing secret is shown: a PKCS#11 PIN appears only as the name of its environment variable or the path of its file.';
  static override examples = ['<%= config.bin %> <%= command.id %> default', '<%= config.bin %> <%= command.id %> hsm --json'];
  static override args = { name: Args.string({ description: 'vault name', required: true }) };

  async run(): Promise<unknown> {
    const { args } = await this.parse(VaultShow);
    const home = this.home;
    const record = getVault(home, args.name);
    const identities = identitiesUsingVault(home, record.name);
    this.log(`Vault ${record.name}`);
    this.log(fields([['type', record.type], ...describeVaultConfig(record, home), ['identities', identities.join(', ') || '-']]));
    return { vault: record, identities };
  }
}
