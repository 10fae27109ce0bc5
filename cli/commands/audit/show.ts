import { Flags } from '@oclif/core';
import type { AuditEntry } from '../../../authority/audit-record.js';
import { BaseCommand } from '../../base-command.js';
import { table } from '../../format.js';
import { callProjectNode, parseSince, resolveProject } from '../../../node/client/project-setup.js';

/** One-line summary of a record's fields. */
function fieldText(fields: AuditEntry['fields']): string {
  return Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
}

/** `symbolon audit show [--since ...] [--subject ID] [--limit N]`. */
export default class AuditShow extends BaseCommand {
  static override summary = 'Show audit log records of the project (admins).';
  static override examples = ['<%= config.bin %> <%= command.id %> --since 1h', '<%= config.bin %> <%= command.id %> --subject I0123... --limit 20'];
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    since: Flags.string({ description: 'only records at or after this ISO time, or this long ago (15m, 2h, 7d)' }),
    subject: Flags.string({ description: 'only records about this identifier' }),
    limit: Flags.integer({ description: 'at most this many records', default: 100, min: 1, max: 100_000 }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(AuditShow);
    const project = resolveProject(this.home, flags.project);
    const { records } = await callProjectNode(this.home, project, 'project.audit.show', {
      project: project.name,
      ...(flags.since !== undefined ? { sinceTime: parseSince(flags.since) } : {}),
      ...(flags.subject !== undefined ? { subject: flags.subject } : {}),
      limit: flags.limit,
    });
    this.log(table(['SEQ', 'TIME', 'TYPE', 'ACTOR', 'FIELDS'], records.map((r) => [String(r.seq), new Date(r.time).toISOString(), r.type, r.actor, fieldText(r.fields)])));
    return { project: project.name, records };
  }
}
