import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { table } from '../../../format.js';
import { callProjectNode, resolveProject } from '../../../../node/client/project-setup.js';
import { attributeText } from './show.js';

/** `symbolon project member list`. */
export default class MemberList extends BaseCommand {
  static override summary = 'List the members of a project (admins).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = { project: Flags.string({ description: 'project (default: the default project)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(MemberList);
    const project = resolveProject(this.home, flags.project);
    const { members } = await callProjectNode(this.home, project, 'project.member.list', { project: project.name });
    this.log(table(['IDENTIFIER', 'ROLE', 'ATTRIBUTES', 'ADDED'], members.map((m) => [m.identifier, m.role, attributeText(m.attributes), m.addedAt])));
    return { project: project.name, members };
  }
}
