import type { AuditEntry, AuditValue } from './audit-record.js';
import { auditRecordSummary, isRefusal } from './audit-summary.js';

/**
 * Private enterprise number in the SD-IDs (`audit@32473`, `fields@32473`): 32473 is the
 * number RFC 5612 reserves for documentation and examples; no number is registered for
 * Symbolon.
 */
export const SYSLOG_ENTERPRISE_NUMBER = 32473;
/** Facility 13: log audit (RFC 5424 6.2.1). */
const FACILITY_LOG_AUDIT = 13;
/** Severity 6 (informational) for changes, 4 (warning) for refusals. */
const SEVERITY_INFO = 6;
const SEVERITY_WARNING = 4;

/** PARAM-VALUE escaping (RFC 5424 6.3.3): `"`, `\` and `]` take a backslash; control characters become `\uXXXX` text so a line stays one line. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** An SD-NAME (RFC 5424 6.3.3): 1 to 32 printable US-ASCII characters except `=`, space, `]` and `"`; others become `_`. */
export function sdName(name: string): string {
  const clean = name.replace(/[^\x21-\x7e]|[= \]"]/g, '_').slice(0, 32);
  return clean === '' ? '_' : clean;
}

/** HOSTNAME, APP-NAME and MSGID: printable US-ASCII, bounded, or NILVALUE. */
function header(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}

const valueText = (v: AuditValue): string => (typeof v === 'object' ? JSON.stringify(v) : String(v));

/** An SD-ELEMENT with its params in the given order. */
function element(id: string, params: ReadonlyArray<readonly [string, string]>): string {
  return `[${id}${params.map(([k, v]) => ` ${sdName(k)}="${escapeParamValue(v)}"`).join('')}]`;
}

/**
 * One authority audit record as an RFC 5424 syslog line (without a trailing newline):
 * `<PRI>1 TIMESTAMP HOSTNAME symbolon - MSGID [audit@32473 ...][fields@32473 ...] MSG`.
 * PRI is facility 13 (log audit) with severity 6, or 4 for refusals; TIMESTAMP is the
 * record's time in UTC with milliseconds; HOSTNAME is `hostname` (the project's name);
 * MSGID is the record type. `audit@32473` carries seq, hash, prevHash, authority and actor;
 * `fields@32473` every record field (lists and maps as JSON text). MSG is a one-line summary
 * (MSG-ANY, no BOM). Records hold no secret, so neither does the line.
 */
export function toSyslogLine(entry: AuditEntry, authority: string, hostname: string): string {
  const pri = FACILITY_LOG_AUDIT * 8 + (isRefusal(entry.type) ? SEVERITY_WARNING : SEVERITY_INFO);
  const audit = element(`audit@${SYSLOG_ENTERPRISE_NUMBER}`, [
    ['seq', String(entry.seq)], ['hash', entry.hash], ['prevHash', entry.prevHash], ['authority', authority], ['actor', entry.actor],
  ]);
  const fieldParams = Object.entries(entry.fields).map(([k, v]) => [k, valueText(v)] as const);
  const fields = fieldParams.length === 0 ? '' : element(`fields@${SYSLOG_ENTERPRISE_NUMBER}`, fieldParams);
  const msg = auditRecordSummary(entry).replace(/[\u0000-\u001f\u007f]/g, ' ');
  return `<${pri}>1 ${new Date(entry.time).toISOString()} ${header(hostname, 255)} symbolon - ${header(entry.type, 32)} ${audit}${fields} ${msg}`;
}
