import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { deleteIdentityRecord } from '../../../node/home/identity-registry.js';

/** `symbolon identity delete NAME`: removes an identity from the home. */
export default class IdentityDelete extends BaseCommand {
  static override summary = 'Delete an identity.';
  static override description = 'Removes the identity record; its primary key is deleted too when it lives in a file vault (a key in a KMS or HSM is left for its administrator). Refused while a node runs as this identity.';
  static override examples = ['<%= config.bin %> <%= command.id %> old-bank'];
  static override args = { name: Args.string({ description: 'identity name', required: true }) };

  async run(): Promise<unknown> {
    const { args } = await this.parse(IdentityDelete);
    const { record, keyDeleted } = await deleteIdentityRecord(this.home, args.name);
    this.log(`Identity ${record.name} (${record.identifier}) deleted${keyDeleted ? '' : `; its key remains in vault ${record.vault}`}`);
    return { deleted: record.name, identifier: record.identifier, keyDeleted };
  }
}
