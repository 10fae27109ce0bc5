import type { AuditEntry, AuditValue } from './audit-record.js';

/** Whether a record reports a refusal (its type ends in `.refused`, or refusals counted together). */
export function isRefusal(type: AuditEntry['type']): boolean {
  return type.endsWith('.refused') || type === 'refusals.aggregated';
}

const text = (v: AuditValue | undefined): string => (v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const attrs = (v: AuditValue | undefined): string => (v !== undefined && typeof v === 'object' && !Array.isArray(v)
  ? Object.entries(v as Record<string, string>).map(([k, x]) => `${k}=${x}`).join(', ')
  : '');

/**
 * One line of text for people about a record (an OCSF `message`, a syslog MSG): what
 * happened, to whom and why. Built from the record's fields only, which hold no secret.
 */
export function auditRecordSummary(entry: Pick<AuditEntry, 'type' | 'actor' | 'fields'>): string {
  const f = entry.fields;
  const subject = text(f.subject);
  switch (entry.type) {
    case 'ticket.created': return `ticket ${text(f.ticketHash).slice(0, 16)} created by ${entry.actor} (${text(f.usageCount)} use(s)${attrs(f.attributes) ? `, ${attrs(f.attributes)}` : ''})`;
    case 'ticket.redeemed': return `ticket ${text(f.ticketHash).slice(0, 16)} redeemed by ${subject}${f.retry === true ? ' (retry)' : ''}`;
    case 'ticket.refused': return `ticket redemption by ${subject} refused: ${text(f.reason)}`;
    case 'member.added': return `member ${subject} added by ${entry.actor} as ${text(f.role)}${attrs(f.attributes) ? ` (${attrs(f.attributes)})` : ''}`;
    case 'member.removed': return `member ${subject} removed by ${entry.actor}`;
    case 'member.suspended': return `member ${subject} suspended by ${entry.actor}`;
    case 'member.resumed': return `member ${subject} resumed by ${entry.actor}`;
    case 'credential.issued': return `credential issued to ${subject}${attrs(f.attributes) ? ` (${attrs(f.attributes)})` : ''}`;
    case 'credential.refused': return `credential for ${subject} refused: ${text(f.reason)}`;
    case 'credential.undelivered': return `credential ${text(f.credentialHash).slice(0, 16)} issued to ${subject} not delivered: ${text(f.reason)}`;
    case 'access.refused': return `${text(f.action)} by ${entry.actor} refused: ${text(f.reason)}`;
    case 'signer.attested': return `credential-signing key ${text(f.signerKey)} of project node ${text(f.replica)} attested`;
    case 'signer.withdrawn': return `credential-signing key ${text(f.signerKey)} of project node ${text(f.replica)} withdrawn by ${entry.actor}`;
    case 'refusals.aggregated': return `${text(f.count)} more ${text(f.refusedType)} (${text(f.reason)}) between ${isoOf(f.firstAt)} and ${isoOf(f.lastAt)}`;
  }
}

function isoOf(v: AuditValue | undefined): string {
  return typeof v === 'number' ? new Date(v).toISOString() : text(v);
}
