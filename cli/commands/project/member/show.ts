import { Args, Flags } from '@oclif/core';
import type { MemberView } from '../../../../node/api/project-views.js';
import { BaseCommand } from '../../../base-command.js';
import { fields } from '../../../format.js';
import { callProjectNode, resolveProject } from '../../../../node/client/project-setup.js';

/** Attributes as `k=v, k=v` (or `-`). */
export function attributeText(attributes: Readonly<Record<string, string>>): string {
  return Object.entries(attributes).map(([k, v]) => `${k}=${v}`).join(', ') || '-';
}

/** Prints a member's fields for humans. */
export function printMember(command: { log(message?: string): void }, member: MemberView): void {
  command.log(fields([
    ['identifier', member.identifier],
    ['role', member.role],
    ['attributes', attributeText(member.attributes)],
    ['added by', member.addedBy],
    ['added at', member.addedAt],
    ...(member.ticketHash ? [['ticket', member.ticketHash] as const] : []),
    ...(member.role === 'enroller' ? [
      ['may grant', member.grants?.attributes.join(', ') || 'nothing'] as const,
      ['may grant relays', member.grants?.relays.join(', ') || 'none'] as const,
    ] : []),
  ]));
}

/** `symbolon project member show IDENTIFIER`. */
export default class MemberShow extends BaseCommand {
  static override summary = 'Show a project member (admins, or a member about itself).';
  static override examples = ['<%= config.bin %> <%= command.id %> I0123...'];
  static override args = { identifier: Args.string({ description: 'the member\'s identifier (I...)', required: true }) };
  static override flags = { project: Flags.string({ description: 'project (default: the default project)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(MemberShow);
    const project = resolveProject(this.home, flags.project);
    const { member } = await callProjectNode(this.home, project, 'project.member.show', { project: project.name, identifier: args.identifier });
    this.log(`Member of project ${project.name}`);
    printMember(this, member);
    return { project: project.name, member };
  }
}
