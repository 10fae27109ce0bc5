import type { AuditReport } from './audit-report.js';

const iso = (t: number): string => new Date(t).toISOString();
/** Markdown table cell text: pipes and line breaks escaped. */
const cell = (v: string | number): string => String(v).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');

function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>, empty: string): string {
  if (rows.length === 0) return `${empty}\n`;
  return `| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n${rows.map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n')}\n`;
}

/** The report as Markdown (the same sections as the HTML page; the chart as a table of its buckets with counts). */
export function renderReportMarkdown(r: AuditReport, title: string): string {
  const v = r.verification;
  const verdict = v.ok === true ? 'Verified' : v.ok === false ? 'VERIFICATION FAILED' : 'Not verified';
  const u = r.unusual;
  const active = r.chart.buckets.filter((b) => b.issued > 0 || b.refused > 0);
  return `# ${title}

Authority \`${r.authority}\`; period ${iso(r.since)} to ${iso(r.until)}; generated ${iso(r.generatedAt)}.

**${verdict}**: ${v.detail} (source: ${v.source}). Log records ${r.log.firstSeq} to ${r.log.lastSeq} read (${r.log.records}), ${r.log.inPeriod} in the period.

## Summary
${table(['', 'count'], [
    ['tickets created', r.tickets.created], ['tickets redeemed', r.tickets.redeemed], ['tickets expired unused', r.tickets.expired], ['ticket redemptions refused', r.tickets.refused],
    ['members added', r.members.added.length], ['members removed', r.members.removed.length], ['members suspended', r.members.suspended], ['members resumed', r.members.resumed],
    ['credentials issued', r.credentials.issued], ['refusals', r.refusals.total],
  ], '')}
## Issuance and refusals over time
${table(['from', 'issued', 'refused'], active.map((b) => [iso(b.start), b.issued, b.refused]), 'Nothing in the period.')}
## Unusual
### Tickets redeemed by ${u.sharedThreshold} or more identities or addresses
${table(['ticket (SHA-256)', 'identities', 'addresses', 'redemptions'], u.sharedTickets.map((t) => [t.ticketHash, t.identities, t.addresses, t.redemptions]), 'None.')}
### Refusal bursts (${u.burstThreshold} or more within ${u.burstWindowMs / 1000} s)
${table(['from', 'to', 'refusals', 'main reason'], u.bursts.map((b) => [iso(b.start), iso(b.end), b.count, b.reason]), 'None.')}
## Refusals by reason
${table(['type: reason', 'count'], r.refusals.byReason.map(([k, n]) => [k, n]), 'No refusals.')}
## Credentials issued per member
${table(['member', 'count'], r.credentials.perMember.map(([k, n]) => [k, n]), 'No credentials issued.')}
## Credentials issued per attribute
${table(['attribute', 'count'], r.credentials.perAttribute.map(([k, n]) => [k, n]), 'No attributes.')}
## Longest-lived credentials
${table(['member', 'attributes', 'issued', 'expires', 'lifetime (h)', 'record'], r.longestLived.map((c) => [c.subject, c.attributes, iso(c.createdAt), iso(c.expiresAt), Number((c.lifetimeMs / 3_600_000).toFixed(2)), c.seq]), 'No credentials issued.')}
## Members added
${table(['time', 'member', 'role', 'by'], r.members.added.map((m) => [iso(m.time), m.subject, m.role ?? '', m.actor]), 'None.')}
## Members removed
${table(['time', 'member', 'role', 'by'], r.members.removed.map((m) => [iso(m.time), m.subject, m.role ?? '', m.actor]), 'None.')}`;
}
