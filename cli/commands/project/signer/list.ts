import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { table } from '../../../format.js';
import { callProjectNode, resolveProject } from '../../../../node/client/project-setup.js';

/** `symbolon project signer list`. */
export default class SignerList extends BaseCommand {
  static override summary = 'List the authority\'s credential-signing keys, one per project node (admins).';
  static override description = 'Each project node (replica) signs credentials with its own key in its local vault, attested once by the authority\'s primary key (which may live in a KMS or HSM). Members accept credentials signed by any of these keys that is not withdrawn. Shows each key\'s id (K...), the replica holding it, its attestation\'s expiry, and when it was withdrawn.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = { project: Flags.string({ description: 'project (default: the default project)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(SignerList);
    const project = resolveProject(this.home, flags.project);
    const { signers } = await callProjectNode(this.home, project, 'project.signer.list', { project: project.name });
    this.log(table(['KEY', 'REPLICA', 'TYPE', 'ATTESTED', 'EXPIRES', 'STATE'], signers.map((s) => [
      s.keyId, s.replica, s.keyType, s.attestedAt, s.expiresAt, s.withdrawnAt === undefined ? 'signing' : `withdrawn ${s.withdrawnAt}`,
    ])));
    return { project: project.name, signers };
  }
}
