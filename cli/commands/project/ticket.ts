import { writeFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { IoError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { callProjectNode, parseAttributeFlags, parseLongDuration, resolveProject } from '../../../node/client/project-setup.js';

/** `symbolon project ticket`: creates a one-time enrollment ticket. */
export default class ProjectTicket extends BaseCommand {
  static override summary = 'Create an enrollment ticket (admins and enrollers).';
  static override description = 'Asks the project authority, over a secure channel from this home\'s node, for a ticket and prints it as one line (or writes it to --output, mode 0600). The enrollee redeems it with: symbolon project enroll TICKET. The ticket is a secret until used: anyone holding it can enroll.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --attribute component=db --relay postgres --output bank.ticket',
    '<%= config.bin %> <%= command.id %> --attribute component=analysis --usage-count 3 --expires-in 1h',
    '<%= config.bin %> <%= command.id %> --enroller --output enroller.ticket',
  ];
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    attribute: Flags.string({ description: 'attribute the enrollee receives, KEY=VALUE (repeatable)', multiple: true }),
    'usage-count': Flags.integer({ description: 'how many enrollments the ticket admits', default: 1, min: 1 }),
    'expires-in': Flags.string({ description: 'ticket lifetime (30s, 10m, 2h, 7d)', default: '10m' }),
    relay: Flags.string({ description: 'relay name the enrollee may create (repeatable)', multiple: true }),
    enroller: Flags.boolean({ description: 'the enrollee becomes an enroller (admins only)', default: false }),
    output: Flags.string({ description: 'write the ticket to FILE (0600) instead of printing it' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(ProjectTicket);
    const home = this.home;
    const project = resolveProject(home, flags.project);
    const created = await callProjectNode(home, project, 'project.ticket', {
      project: project.name,
      attributes: parseAttributeFlags(flags.attribute), usageCount: flags['usage-count'], expiresInMs: parseLongDuration(flags['expires-in']),
      relays: flags.relay ?? [], enroller: flags.enroller,
    });
    if (flags.output !== undefined) {
      try {
        writeFileSync(flags.output, `${created.ticket}\n`, { mode: 0o600, flag: 'w' });
      } catch (cause) {
        throw new IoError('cli', `cannot write '${flags.output}': ${(cause as Error).message}`, { cause });
      }
      process.stderr.write(`Ticket for project ${project.name} written to ${flags.output} (expires ${new Date(created.expiresAt).toISOString()}, ${created.usageCount} use${created.usageCount === 1 ? '' : 's'})\n`);
    } else {
      this.log(created.ticket);
    }
    return { project: project.name, ...created, ...(flags.output !== undefined ? { output: flags.output } : {}) };
  }
}
