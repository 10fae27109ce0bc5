import { once } from 'node:events';
import { Flags } from '@oclif/core';
import type { AuditEntry } from '../../../authority/audit-record.js';
import { BaseCommand } from '../../base-command.js';
import { AUDIT_SHOW_PAGE_RECORDS } from '../../../node/api/audit-pages.js';
import { callProjectNode, parseSince, resolveProject } from '../../../node/client/project-setup.js';

/** One-line summary of a record's fields. */
function fieldText(fields: AuditEntry['fields']): string {
  return Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
}

/** Column widths fixed before the first page (a table printed page by page cannot measure every row first). */
const WIDTHS = { seq: 8, time: 24, type: 18 } as const;

function row(cells: readonly [string, string, string, string, string]): string {
  const [seq, time, type, actor, fields] = cells;
  return `${seq.padEnd(WIDTHS.seq)}  ${time.padEnd(WIDTHS.time)}  ${type.padEnd(WIDTHS.type)}  ${actor}  ${fields}`.trimEnd();
}

async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** `symbolon audit show [--since ...] [--subject ID] [--limit N]`. */
export default class AuditShow extends BaseCommand {
  static override summary = 'Show audit log records of the project (admins).';
  static override description = 'Records arrive and are printed page by page (at most 1000 a page), so memory stays flat whatever --limit is. With --json the output is one object: {"project", "records": [...]}.';
  static override examples = ['<%= config.bin %> <%= command.id %> --since 1h', '<%= config.bin %> <%= command.id %> --subject I0123... --limit 20'];
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    since: Flags.string({ description: 'only records at or after this ISO time, or this long ago (15m, 2h, 7d)' }),
    subject: Flags.string({ description: 'only records about this identifier' }),
    limit: Flags.integer({ description: 'at most this many records', default: 100, min: 1, max: 100_000_000 }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(AuditShow);
    const project = resolveProject(this.home, flags.project);
    const json = this.jsonEnabled();
    const filters = {
      ...(flags.since !== undefined ? { sinceTime: parseSince(flags.since) } : {}),
      ...(flags.subject !== undefined ? { subject: flags.subject } : {}),
    };
    // Ask for the first page before printing anything, so a failure prints only the error.
    let page = await callProjectNode(this.home, project, 'project.audit.show', { project: project.name, ...filters, limit: Math.min(flags.limit, AUDIT_SHOW_PAGE_RECORDS) });
    await write(json ? `{\n  "project": ${JSON.stringify(project.name)},\n  "records": [` : `${row(['SEQ', 'TIME', 'TYPE', 'ACTOR', 'FIELDS'])}\n`);
    let shown = 0;
    for (;;) {
      const records = page.records.slice(0, flags.limit - shown);
      if (records.length > 0) {
        await write(json
          ? `${shown > 0 ? ',' : ''}\n    ${records.map((r) => JSON.stringify(r)).join(',\n    ')}`
          : `${records.map((r) => row([String(r.seq), new Date(r.time).toISOString(), r.type, r.actor, fieldText(r.fields)])).join('\n')}\n`);
      }
      shown += records.length;
      if (page.next === undefined || shown >= flags.limit) break;
      page = await callProjectNode(this.home, project, 'project.audit.show', {
        project: project.name, ...filters, afterSeq: page.next, limit: Math.min(flags.limit - shown, AUDIT_SHOW_PAGE_RECORDS),
      });
    }
    if (json) await write(`${shown > 0 ? '\n  ' : ''}]\n}\n`);
    return undefined;
  }
}
