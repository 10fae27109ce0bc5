import { Args, Flags } from '@oclif/core';
import { NotFoundError } from '../../../../core/errors.js';
import { BaseCommand } from '../../../base-command.js';
import { callProjectNode, resolveProject } from '../../../../node/client/project-setup.js';

/** `symbolon project member remove IDENTIFIER`. */
export default class MemberRemove extends BaseCommand {
  static override summary = 'Remove a project member (admins): it gets no credential from now on.';
  static override description = 'Removes the member at once: the authority refuses its next credential request (its current credential stays valid until it expires; see docs/authority.md). The last admin cannot be removed.';
  static override examples = ['<%= config.bin %> <%= command.id %> I0123...'];
  static override args = { identifier: Args.string({ description: 'the member\'s identifier (I...)', required: true }) };
  static override flags = { project: Flags.string({ description: 'project (default: the default project)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(MemberRemove);
    const project = resolveProject(this.home, flags.project);
    const { removed } = await callProjectNode(this.home, project, 'project.member.remove', { project: project.name, identifier: args.identifier });
    if (!removed) throw new NotFoundError('authority', `${args.identifier} is not a member of project ${project.name}`);
    this.log(`Member ${args.identifier} removed from project ${project.name}`);
    return { project: project.name, identifier: args.identifier, removed };
  }
}
