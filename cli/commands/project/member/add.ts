import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { callProjectNode, parseAttributeFlags, resolveProject } from '../../../../node/client/project-setup.js';
import { splitList } from '../ticket.js';
import { printMember } from './show.js';

/** `symbolon project member add IDENTIFIER --attribute k=v [--role ROLE]`. */
export default class MemberAdd extends BaseCommand {
  static override summary = 'Add or replace a project member (admins).';
  static override description = 'Adds the identity IDENTIFIER (I...) as a member with the given attributes and role, or replaces an existing member\'s attributes and role. The member can then fetch credentials without a ticket.';
  static override examples = ['<%= config.bin %> <%= command.id %> I0123... --attribute component=db', '<%= config.bin %> <%= command.id %> I0123... --role enroller --may-grant component=analysis'];
  static override args = { identifier: Args.string({ description: 'the member\'s identifier (I...)', required: true }) };
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    attribute: Flags.string({ description: 'attribute KEY=VALUE (repeatable)', multiple: true }),
    role: Flags.option({ description: 'role', options: ['member', 'enroller', 'admin'] as const, default: 'member' as const })(),
    'may-grant': Flags.string({ description: 'with --role enroller: attributes it may grant, NAME=VALUE or NAME=* (comma-separated, repeatable; default none)', multiple: true }),
    'may-grant-relay': Flags.string({ description: 'with --role enroller: relay names it may grant (comma-separated, repeatable; default none)', multiple: true }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(MemberAdd);
    const project = resolveProject(this.home, flags.project);
    const { member } = await callProjectNode(this.home, project, 'project.member.add', {
      project: project.name, identifier: args.identifier, attributes: parseAttributeFlags(flags.attribute), role: flags.role,
      ...(flags['may-grant'] ? { mayGrant: splitList(flags['may-grant']) } : {}),
      ...(flags['may-grant-relay'] ? { mayGrantRelays: splitList(flags['may-grant-relay']) } : {}),
    });
    this.log(`Member ${member.identifier} added to project ${project.name}`);
    printMember(this, member);
    return { project: project.name, member };
  }
}
