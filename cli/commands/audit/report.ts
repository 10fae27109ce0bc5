import { writeFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { InvalidInputError, IoError } from '../../../core/errors.js';
import { Identity } from '../../../core/identity/identity.js';
import { AuditReportInput } from '../../../authority/audit-report-input.js';
import { renderReportHtml } from '../../../authority/audit-report-html.js';
import { renderReportMarkdown } from '../../../authority/audit-report-md.js';
import { BaseCommand } from '../../base-command.js';
import { streamAuditExport } from '../../../node/client/audit-stream.js';
import { callNodeSocket, nodeSocket } from '../../../node/client/node-call.js';
import { ensureRunning, parseSince, resolveProject } from '../../../node/client/project-setup.js';
import { fileLines, identityPublicKeys, readAuthorityIdentityFile } from '../../../node/home/project-audit.js';

/** `symbolon audit report [--since 30d] [--output FILE] [--format html|md] [--from EXPORT... --authority ID_FILE]`. */
export default class AuditReport extends BaseCommand {
  static override summary = 'Write a report of the audit log people read: HTML with a chart, or Markdown.';
  static override description = `Counts, for the period: tickets created, redeemed, expired unused and refused; members added and removed; credentials issued per member and per attribute; refusals by reason; the longest-lived credentials; unusual things (a ticket redeemed by many identities, refusal bursts); with a chart of issuance and refusals over time (inline SVG: no script, no external asset) and the verification result of the log it was built from.

From the project node (admins; the log is exported and verified with the project's authority identity), or offline from export files (--from, several in order as for audit verify; verified when --authority is given). No secret appears in it: the log holds none. --format defaults to md for an --output ending in .md, html otherwise.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> --since 30d --output report.html',
    '<%= config.bin %> <%= command.id %> --from audit.jsonl --authority bank-authority.json --format md',
  ];
  static override enableJsonFlag = false;
  static override flags = {
    project: Flags.string({ description: 'project (default: the default project)' }),
    since: Flags.string({ description: 'start of the period: an ISO time, or this long ago (7d, 12h)', default: '30d' }),
    output: Flags.string({ description: 'write to FILE (0600) instead of stdout' }),
    format: Flags.string({ description: 'html or md', options: ['html', 'md'] }),
    from: Flags.string({ description: 'build from this export file instead of the project node (repeat for a sequence of exports)', multiple: true }),
    authority: Flags.string({ description: 'with --from: the authority\'s public identity file, to verify the exports' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(AuditReport);
    const now = Date.now();
    const since = parseSince(flags.since, now);
    if (since >= now) throw new InvalidInputError('cli', `--since ${flags.since} is not in the past`);
    const format = flags.format ?? (flags.output?.endsWith('.md') ? 'md' : 'html');
    if (flags.authority !== undefined && flags.from === undefined) throw new InvalidInputError('cli', '--authority applies to --from: a live report is verified with the project\'s own authority identity');
    let input: AuditReportInput;
    let source: string;
    let title: string;
    if (flags.from !== undefined) {
      const identity = flags.authority === undefined ? undefined : readAuthorityIdentityFile(flags.authority);
      input = new AuditReportInput({ since, until: now }, identity && { identifier: identity.identifier, keys: identityPublicKeys(identity) });
      for (const file of flags.from) {
        input.startPiece();
        for (const line of fileLines(file)) input.push(line);
      }
      source = flags.from.join(', ');
      title = 'Audit report';
    } else {
      const project = resolveProject(this.home, flags.project);
      const identity = Identity.fromJSON(project.authority);
      input = new AuditReportInput({ since, until: now }, { identifier: project.authorityIdentifier, keys: identityPublicKeys(identity) });
      let node: string | undefined;
      await streamAuditExport(async (params, { signal, timeoutMs }) => {
        node ??= await ensureRunning(this.home, project.node, { signal });
        return await callNodeSocket({ path: nodeSocket(this.home, node), name: node }, 'project.audit.export', { project: project.name, ...params }, { timeoutMs, signal });
      }, { write: async (raw) => { input.push(raw); } });
      source = `the project node of ${project.name}, exported ${new Date(now).toISOString()}`;
      title = `Audit report: project ${project.name}`;
    }
    const report = input.finish(source);
    const text = format === 'md' ? renderReportMarkdown(report, title) : renderReportHtml(report, title);
    if (flags.output === undefined) {
      process.stdout.write(text);
    } else {
      try {
        writeFileSync(flags.output, text, { mode: 0o600 });
      } catch (cause) {
        throw new IoError('cli', `cannot write '${flags.output}': ${(cause as Error).message}`, { cause });
      }
      const verdict = report.verification.ok === true ? 'verified' : report.verification.ok === false ? 'VERIFICATION FAILED' : 'not verified';
      process.stderr.write(`report of ${report.log.inPeriod} records since ${new Date(since).toISOString()} written to ${flags.output} (log ${verdict})\n`);
    }
    if (report.verification.ok === false) {
      process.stderr.write(`Error: VERIFICATION FAILED: the audit log the report was built from does not verify (${report.verification.detail})\n`);
      process.exitCode = 2;
    }
    return undefined;
  }
}
