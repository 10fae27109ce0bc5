import { Args, Flags } from '@oclif/core';
import { InvalidInputError } from '../../../../core/errors.js';
import { BaseCommand } from '../../../base-command.js';
import { callProjectNode, resolveProject } from '../../../../node/client/project-setup.js';

/** `symbolon project member resume IDENTIFIER`. */
export default class MemberResume extends BaseCommand {
  static override summary = 'End a member\'s suspension (admins).';
  static override description = 'The member may fetch credentials again and its credentials are accepted again once member nodes fetch the new revocation list (within seconds). Its node fetches a new credential at its next retry; `symbolon project refresh` on its side does it at once.';
  static override examples = ['<%= config.bin %> <%= command.id %> I0123...'];
  static override args = { identifier: Args.string({ description: 'the member\'s identifier (I...)', required: true }) };
  static override flags = { project: Flags.string({ description: 'project (default: the default project)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(MemberResume);
    const project = resolveProject(this.home, flags.project);
    const { resumed } = await callProjectNode(this.home, project, 'project.member.resume', { project: project.name, identifier: args.identifier });
    if (!resumed) throw new InvalidInputError('authority', `${args.identifier} is not suspended in project ${project.name}`);
    this.log(`Member ${args.identifier} of project ${project.name} resumed`);
    return { project: project.name, identifier: args.identifier, resumed };
  }
}
