import { BaseCommand } from '../../base-command.js';
import { table } from '../../format.js';
import { defaultIdentityName, listIdentities } from '../../../node/home/identity-registry.js';

/** `symbolon identity list`: the identities of the home. */
export default class IdentityList extends BaseCommand {
  static override summary = 'List the identities of this home.';
  static override description = 'Shows every identity with its identifier, key type, vault and whether it is the home default.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<unknown> {
    await this.parse(IdentityList);
    const home = this.home;
    const fallback = defaultIdentityName(home);
    const identities = listIdentities(home).map((r) => ({
      name: r.name, identifier: r.identifier, vault: r.vault, keyType: r.keyHandle.type, isDefault: r.name === fallback,
    }));
    if (identities.length === 0) this.log('No identities. Create one with: symbolon identity create NAME');
    else this.log(table(['NAME', 'IDENTIFIER', 'KEY', 'VAULT', 'DEFAULT'], identities.map((i) => [i.name, i.identifier, i.keyType, i.vault, i.isDefault ? 'yes' : ''])));
    return { identities };
  }
}
