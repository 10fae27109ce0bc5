import { writeFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { IoError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { callProjectNode, parseAttributeFlags, parseLongDuration, resolveProject } from '../../../node/client/project-setup.js';

/** Values of a repeatable flag that also takes comma-separated lists. */
export function splitList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** `symbolon project ticket`: creates a one-time enrollment ticket. */
export default class ProjectTicket extends BaseCommand {
  static override summary = 'Create an enrollment ticket (admins and enrollers).';
  static override description = 'Asks the project authority, over a secure channel from this home\'s node, for a ticket and prints it as one line (or writes it to --output, mode 0600). The enrollee redeems it with: symbolon project enroll TICKET. The ticket is a secret until used: anyone holding it can enroll. An enroller ticket (--enroller, admins only) lists what the new enroller may grant in its own tickets: --may-grant component=analysis,component=db (NAME=* allows any value) and --may-grant-relay postgres; by default nothing. No identity may redeem a ticket it created.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --attribute component=db --relay postgres --output bank.ticket',
    '<%= config.bin %> <%= command.id %> --attribute component=analysis --usage-count 3 --expires-in 1h',
    '<%= config.bin %> <%= command.id %> --enroller --may-grant component=analysis,component=db --may-grant-relay postgres --output enroller.ticket',
  ];
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    attribute: Flags.string({ description: 'attribute the enrollee receives, KEY=VALUE (repeatable)', multiple: true }),
    'usage-count': Flags.integer({ description: 'how many enrollments the ticket admits', default: 1, min: 1 }),
    'expires-in': Flags.string({ description: 'ticket lifetime (30s, 10m, 2h, 7d)', default: '10m' }),
    relay: Flags.string({ description: 'relay name the enrollee may create (repeatable)', multiple: true }),
    enroller: Flags.boolean({ description: 'the enrollee becomes an enroller (admins only); it may grant only what --may-grant and --may-grant-relay list', default: false }),
    'may-grant': Flags.string({ description: 'with --enroller: attributes the enroller may grant, NAME=VALUE or NAME=* (comma-separated, repeatable; default none)', multiple: true }),
    'may-grant-relay': Flags.string({ description: 'with --enroller: relay names the enroller may grant (comma-separated, repeatable; default none)', multiple: true }),
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
      ...(flags['may-grant'] ? { mayGrant: splitList(flags['may-grant']) } : {}),
      ...(flags['may-grant-relay'] ? { mayGrantRelays: splitList(flags['may-grant-relay']) } : {}),
    });
    if (flags.output !== undefined) {
      try {
        writeFileSync(flags.output, `${created.ticket}\n`, { mode: 0o600, flag: 'w' });
      } catch (cause) {
        throw new IoError('cli', `cannot write '${flags.output}': ${(cause as Error).message}`, { cause });
      }
      process.stderr.write(`Ticket for project ${project.name} written to ${flags.output} (expires ${created.expiresAt}, ${created.usageCount} use${created.usageCount === 1 ? '' : 's'})\n`);
    } else {
      this.log(created.ticket);
    }
    return { project: project.name, ...created, ...(flags.output !== undefined ? { output: flags.output } : {}) };
  }
}
