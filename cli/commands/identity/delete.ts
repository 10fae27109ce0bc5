import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { deleteIdentityRecord, readIdentityRecord } from '../../../node/home/identity-registry.js';
import { confirmDestructive, yesFlag } from '../../confirm.js';

/** `symbolon identity delete NAME`: removes an identity from the home. */
export default class IdentityDelete extends BaseCommand {
  static override summary = 'Delete an identity.';
  static override description = 'Removes the identity record; its primary key is deleted too when it lives in a file vault (a key in a KMS or HSM is left for its administrator). Refused while a node of the home runs as this identity (the default node runs as the default identity). Asks for confirmation on a terminal; --yes is required otherwise.';
  static override examples = ['<%= config.bin %> <%= command.id %> old-bank', '<%= config.bin %> <%= command.id %> old-bank --yes'];
  static override flags = { yes: yesFlag };
  static override args = { name: Args.string({ description: 'identity name', required: true }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(IdentityDelete);
    const record = readIdentityRecord(this.home, args.name);
    await confirmDestructive(flags.yes, `Delete identity ${record.name} (${record.identifier}) and, in a file vault, its key?`, { json: this.jsonEnabled() });
    const { keyDeleted } = await deleteIdentityRecord(this.home, args.name);
    this.log(`Identity ${record.name} (${record.identifier}) deleted${keyDeleted ? '' : `; its key remains in vault ${record.vault}`}`);
    return { deleted: record.name, identifier: record.identifier, keyDeleted };
  }
}
