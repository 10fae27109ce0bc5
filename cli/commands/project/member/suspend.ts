import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { callProjectNode, resolveProject } from '../../../../node/client/project-setup.js';
import { REVOCATION_PROPAGATION_MS, revocationFields } from './remove.js';

/** `symbolon project member suspend IDENTIFIER`. */
export default class MemberSuspend extends BaseCommand {
  static override summary = 'Suspend a project member (admins): its access ends now, until resumed.';
  static override description = 'Revokes every credential of the member and refuses new ones while it stays a member: the project node closes its secure channels and relays at once; member nodes learn it from the signed revocation list within 10 seconds and close its channels and portal sessions. `project member resume` ends the suspension. Prints when access ended.';
  static override examples = ['<%= config.bin %> <%= command.id %> I0123...'];
  static override args = { identifier: Args.string({ description: 'the member\'s identifier (I...)', required: true }) };
  static override flags = { project: Flags.string({ description: 'project (default: the default project)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(MemberSuspend);
    const project = resolveProject(this.home, flags.project);
    const { accessEndedAt } = await callProjectNode(this.home, project, 'project.member.suspend', { project: project.name, identifier: args.identifier });
    const ended = new Date(accessEndedAt);
    this.log(`Member ${args.identifier} of project ${project.name} suspended`);
    this.log(revocationFields(ended));
    return {
      project: project.name, identifier: args.identifier, suspended: true, accessEndedAt: ended.toISOString(),
      membersApplyBy: new Date(ended.getTime() + REVOCATION_PROPAGATION_MS).toISOString(),
    };
  }
}
