import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { fields } from '../../../format.js';
import { callProjectNode, resolveProject } from '../../../../node/client/project-setup.js';
import { REVOCATION_PROPAGATION_MS } from '../member/remove.js';

/** `symbolon project signer withdraw KEY`. */
export default class SignerWithdraw extends BaseCommand {
  static override summary = 'Withdraw the attestation of a credential-signing key (admins).';
  static override description = 'The authority stops issuing credentials with key KEY (a K... id from `project signer list`) and names it in its signed revocation list: member nodes refuse the credentials it signed within 10 seconds and close the channels of peers presenting them; members holding such a credential fetch a new one. A replica still holding the key makes a new one and has it attested (one signature by the primary key). Audited as signer.withdrawn. To retire a replica for good, stop it and take away its access to the authority\'s vault first.';
  static override examples = ['<%= config.bin %> <%= command.id %> K3f2a...'];
  static override args = { key: Args.string({ description: 'the signing key id (K...)', required: true }) };
  static override flags = { project: Flags.string({ description: 'project (default: the default project)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(SignerWithdraw);
    const project = resolveProject(this.home, flags.project);
    const { signer } = await callProjectNode(this.home, project, 'project.signer.withdraw', { project: project.name, key: args.key });
    const withdrawnAt = signer.withdrawnAt ?? new Date().toISOString();
    const applyBy = new Date(Date.parse(withdrawnAt) + REVOCATION_PROPAGATION_MS).toISOString();
    this.log(`Signing key ${signer.keyId} of project ${project.name} (replica ${signer.replica}) withdrawn`);
    this.log(fields([['withdrawn at', withdrawnAt], ['members refuse its credentials by', applyBy]]));
    return { project: project.name, signer, membersApplyBy: applyBy };
  }
}
