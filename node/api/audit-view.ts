import type { AuditEntry, AuditValue } from '../../authority/audit-record.js';
import { isoTime, type IsoTime } from './iso-time.js';

/** A field of an audit record that holds a time in milliseconds (`createdAt`, `expiresAt`, `revokedUntil`, ...). */
const TIME_FIELD = /(At|Until)$/;

/**
 * An audit record as the node API shows it (`project.audit.show`, `audit show --json`):
 * `time` and the time fields among `fields` in ISO 8601. The record itself, as hashed,
 * signed and exported (`audit export`), keeps milliseconds; `seq` and `hash` identify it.
 */
export interface AuditEntryView extends Omit<AuditEntry, 'time'> {
  readonly time: IsoTime;
}

/** The API view of `entry` (see {@link AuditEntryView}). */
export function auditEntryView(entry: AuditEntry): AuditEntryView {
  let fields: Record<string, AuditValue> | undefined;
  for (const [key, value] of Object.entries(entry.fields)) {
    if (typeof value !== 'number' || !TIME_FIELD.test(key)) continue;
    fields ??= { ...entry.fields };
    fields[key] = isoTime(value);
  }
  return { ...entry, time: isoTime(entry.time), ...(fields === undefined ? {} : { fields }) };
}
