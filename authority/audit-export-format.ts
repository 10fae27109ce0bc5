import { InvalidInputError } from '../core/errors.js';
import type { AuditEntry } from './audit-record.js';
import { toOcsfEvent } from './audit-ocsf.js';
import { toSyslogLine } from './audit-syslog.js';

/** The formats `audit export --format` writes. */
export const AUDIT_EXPORT_FORMATS = ['jsonl', 'ocsf', 'syslog'] as const;
/** One of {@link AUDIT_EXPORT_FORMATS}. */
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

/** What an export line is, with the `seq` of records and checkpoints. */
export type ParsedExportLine =
  | { readonly kind: 'header'; readonly authority: string; readonly afterSeq: number }
  | { readonly kind: 'record'; readonly seq: number; readonly entry: AuditEntry }
  | { readonly kind: 'checkpoint'; readonly seq: number };

/** Parses one JSONL export line; throws InvalidInputError on anything else. */
export function parseExportLine(line: string): ParsedExportLine {
  let value: unknown;
  try { value = JSON.parse(line); } catch { throw new InvalidInputError('authority', 'an audit export line is not JSON'); }
  const v = value as Record<string, unknown>;
  if (v !== null && typeof v === 'object') {
    if (v.kind === 'header' && typeof v.authority === 'string') return { kind: 'header', authority: v.authority, afterSeq: typeof v.afterSeq === 'number' ? v.afterSeq : 0 };
    if (v.kind === 'record' && Number.isSafeInteger(v.seq)) {
      const { kind: _, ...entry } = v;
      return { kind: 'record', seq: v.seq as number, entry: entry as unknown as AuditEntry };
    }
    if (v.kind === 'checkpoint' && Number.isSafeInteger(v.seq)) return { kind: 'checkpoint', seq: v.seq as number };
  }
  throw new InvalidInputError('authority', 'an audit export line is neither a header, a record nor a checkpoint');
}

/**
 * Turns export lines into the lines of a format: `jsonl` keeps every line (the verifiable
 * form); `ocsf` writes one OCSF event (JSON) per record and `syslog` one RFC 5424 line per
 * record, leaving out headers and checkpoints. The authority comes from the header, or from
 * `authority` for a stream that continues an earlier file.
 */
export class AuditLineFormatter {
  private authority: string;

  constructor(private readonly format: AuditExportFormat, private readonly hostname: string, authority = '') {
    this.authority = authority;
  }

  /** The output line for one parsed export line and its text, or undefined when the format leaves it out. */
  line(parsed: ParsedExportLine, raw: string): string | undefined {
    if (parsed.kind === 'header') this.authority = parsed.authority;
    if (this.format === 'jsonl') return raw;
    if (parsed.kind !== 'record') return undefined;
    return this.format === 'ocsf' ? JSON.stringify(toOcsfEvent(parsed.entry, this.authority)) : toSyslogLine(parsed.entry, this.authority, this.hostname);
  }
}
