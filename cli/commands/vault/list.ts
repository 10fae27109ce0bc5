import { BaseCommand } from '../../base-command.js';
import { table } from '../../format.js';
import { identitiesUsingVault } from '../../../node/home/identity-registry.js';
import { listVaults } from '../../../node/home/vault-registry.js';

/** `symbolon vault list`: the vaults of the home. */
export default class VaultList extends BaseCommand {
  static override summary = 'List the vaults of this home.';
  static override description = 'Shows every vault with its kind and the identities whose primary key it holds. The built-in file vault "default" is always listed.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<unknown> {
    await this.parse(VaultList);
    const home = this.home;
    const vaults = listVaults(home).map((v) => ({ ...v, identities: identitiesUsingVault(home, v.name) }));
    this.log(table(['NAME', 'TYPE', 'IDENTITIES'], vaults.map((v) => [v.name, v.type, v.identities.join(', ') || '-'])));
    return { vaults };
  }
}
