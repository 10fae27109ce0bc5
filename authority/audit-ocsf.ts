import type { AuditEntry, AuditRecordType, AuditValue } from './audit-record.js';
import { auditRecordSummary, isRefusal } from './audit-summary.js';

/** The OCSF schema version the events follow. */
export const OCSF_VERSION = '1.1.0';

/** An OCSF event class and activity a record type maps to. */
interface OcsfClass {
  readonly classUid: number;
  readonly className: string;
  readonly categoryUid: number;
  readonly categoryName: string;
  readonly activityId: number;
  readonly activityName: string;
}

const IAM = { categoryUid: 3, categoryName: 'Identity & Access Management' } as const;
const APPLICATION = { categoryUid: 6, categoryName: 'Application Activity' } as const;
const ACCOUNT_CHANGE = { ...IAM, classUid: 3001, className: 'Account Change' } as const;
const AUTHENTICATION = { ...IAM, classUid: 3002, className: 'Authentication' } as const;
const AUTHORIZE_SESSION = { ...IAM, classUid: 3003, className: 'Authorize Session' } as const;
const API_ACTIVITY = { ...APPLICATION, classUid: 6003, className: 'API Activity' } as const;

/** The mapping of every record type (documented in docs/audit.md, "OCSF"). */
export const OCSF_CLASSES: Readonly<Record<Exclude<AuditRecordType, 'refusals.aggregated'>, OcsfClass>> = {
  'ticket.created': { ...API_ACTIVITY, activityId: 1, activityName: 'Create' },
  'ticket.redeemed': { ...AUTHENTICATION, activityId: 1, activityName: 'Logon' },
  'ticket.refused': { ...AUTHENTICATION, activityId: 1, activityName: 'Logon' },
  'member.added': { ...ACCOUNT_CHANGE, activityId: 1, activityName: 'Create' },
  'member.removed': { ...ACCOUNT_CHANGE, activityId: 6, activityName: 'Delete' },
  'member.suspended': { ...ACCOUNT_CHANGE, activityId: 5, activityName: 'Disable' },
  'member.resumed': { ...ACCOUNT_CHANGE, activityId: 2, activityName: 'Enable' },
  'credential.issued': { ...AUTHORIZE_SESSION, activityId: 1, activityName: 'Assign Privileges' },
  'credential.refused': { ...AUTHORIZE_SESSION, activityId: 1, activityName: 'Assign Privileges' },
  'credential.undelivered': { ...AUTHORIZE_SESSION, activityId: 99, activityName: 'Other' },
  'access.refused': { ...API_ACTIVITY, activityId: 99, activityName: 'Other' },
  'signer.attested': { ...API_ACTIVITY, activityId: 1, activityName: 'Create' },
  'signer.withdrawn': { ...API_ACTIVITY, activityId: 4, activityName: 'Delete' },
};

/** An OCSF event: plain JSON. */
export type OcsfEvent = Record<string, unknown>;

/** `api.operation` of the API Activity events that are changes. */
const OPERATIONS: Partial<Record<AuditRecordType, string>> = { 'ticket.created': 'ticket.create', 'signer.attested': 'signer.attest', 'signer.withdrawn': 'signer.withdraw' };

const str = (v: AuditValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** The OCSF class of a record; `refusals.aggregated` takes the class of the refusal type it counts. */
export function ocsfClassOf(entry: Pick<AuditEntry, 'type' | 'fields'>): OcsfClass {
  if (entry.type !== 'refusals.aggregated') return OCSF_CLASSES[entry.type];
  const refused = str(entry.fields.refusedType);
  return refused !== undefined && refused in OCSF_CLASSES && refused !== 'refusals.aggregated'
    ? OCSF_CLASSES[refused as keyof typeof OCSF_CLASSES]
    : OCSF_CLASSES['access.refused'];
}

/**
 * One authority audit record as an OCSF event (see docs/audit.md for the field list):
 * the base event fields, `metadata` naming the authority's log and the record's position,
 * `actor.user.uid`, the class's own fields (`user`, `auth_protocol`, `privileges`, `api`,
 * `resources`), `count`/`start_time`/`end_time` for counted refusals, and the record
 * itself under `unmapped.symbolon` (type, seq, hash, prevHash, fields), so nothing is lost.
 * Records hold no secret, so neither does the event.
 */
export function toOcsfEvent(entry: AuditEntry, authority: string): OcsfEvent {
  const c = ocsfClassOf(entry);
  const failed = isRefusal(entry.type);
  const f = entry.fields;
  const subject = str(f.subject);
  const event: OcsfEvent = {
    activity_id: c.activityId,
    activity_name: c.activityName,
    category_uid: c.categoryUid,
    category_name: c.categoryName,
    class_uid: c.classUid,
    class_name: c.className,
    type_uid: c.classUid * 100 + c.activityId,
    type_name: `${c.className}: ${c.activityName}`,
    severity_id: failed ? 3 : 1,
    severity: failed ? 'Medium' : 'Informational',
    status_id: failed ? 2 : 1,
    status: failed ? 'Failure' : 'Success',
    time: entry.time,
    time_dt: new Date(entry.time).toISOString(),
    message: auditRecordSummary(entry),
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'Symbolon', vendor_name: 'Symbolon', feature: { name: 'authority audit log' } },
      log_name: 'symbolon-authority-audit',
      uid: `${authority}:${entry.seq}`,
      sequence: entry.seq,
    },
    actor: { user: { uid: entry.actor } },
  };
  if (failed) event.status_detail = str(f.reason) ?? 'refused';
  if (c.classUid !== API_ACTIVITY.classUid && subject !== undefined) event.user = { uid: subject };
  if (c.classUid === AUTHENTICATION.classUid) {
    event.auth_protocol = 'Symbolon enrollment ticket';
    event.auth_protocol_id = 99;
  }
  if (entry.type === 'credential.issued' && typeof f.attributes === 'object' && !Array.isArray(f.attributes)) {
    event.privileges = Object.entries(f.attributes as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  }
  if (c.classUid === API_ACTIVITY.classUid) {
    event.api = { operation: OPERATIONS[entry.type] ?? str(f.action) ?? str(f.refusedType) ?? entry.type };
  }
  if (entry.type === 'ticket.created') event.resources = [{ type: 'enrollment ticket', uid: str(f.ticketHash) ?? '' }];
  if (entry.type === 'signer.attested' || entry.type === 'signer.withdrawn') event.resources = [{ type: 'credential signing key', uid: str(f.signerKey) ?? '', name: str(f.replica) ?? '' }];
  if (entry.type === 'refusals.aggregated') {
    if (typeof f.count === 'number') event.count = f.count;
    if (typeof f.firstAt === 'number') event.start_time = f.firstAt;
    if (typeof f.lastAt === 'number') event.end_time = f.lastAt;
  }
  event.unmapped = { symbolon: { type: entry.type, seq: entry.seq, hash: entry.hash, prevHash: entry.prevHash, fields: f } };
  return event;
}
