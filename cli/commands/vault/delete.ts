import { Args } from '@oclif/core';
import { InvalidInputError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { identitiesUsingVault } from '../../../node/home/identity-registry.js';
import { getVault, removeVault } from '../../../node/home/vault-registry.js';

/** `symbolon vault delete NAME`: removes a vault no identity uses. */
export default class VaultDelete extends BaseCommand {
  static override summary = 'Remove a vault from the home.';
  static override description = 'Removes the vault from <home>/vaults.json; a file vault\'s folder and keys are deleted. Refused while an identity keeps its primary key there (delete or rotate that identity first). Keys inside a KMS or HSM are not touched.';
  static override examples = ['<%= config.bin %> <%= command.id %> keys'];
  static override args = { name: Args.string({ description: 'vault name', required: true }) };

  async run(): Promise<unknown> {
    const { args } = await this.parse(VaultDelete);
    const home = this.home;
    getVault(home, args.name);
    const users = identitiesUsingVault(home, args.name);
    if (users.length > 0) throw new InvalidInputError('cli', `vault '${args.name}' holds the key of identity ${users.map((u) => `'${u}'`).join(', ')}: rotate or delete it first`);
    const record = removeVault(home, args.name);
    this.log(`Vault ${record.name} deleted`);
    return { deleted: record.name, type: record.type };
  }
}
