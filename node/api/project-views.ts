import type { SignerView } from '../../authority/services/wire-records.js';
import type { CreatedTicketInfo, MemberRemoval } from '../../authority/client/authority-client.js';
import type { IsoTime, WithIsoTimes } from './iso-time.js';
import type { AuditEntryView } from './audit-view.js';
import type { MemberRecord, Role } from '../../authority/authority-store.js';

/** What `project.enroll` and `project.join` return. */
export interface MembershipView {
  readonly project: string;
  readonly identifier: string;
  readonly role: Role;
  readonly attributes: Readonly<Record<string, string>>;
  /** Expiry of the credential now held (ISO 8601), or null when none could be issued. */
  readonly credentialExpiresAt: IsoTime | null;
  readonly credentialError?: string;
}

/** What `project.refresh` returns: the credential just fetched (times in ISO 8601). */
export interface RefreshView {
  readonly project: string;
  readonly identifier: string;
  readonly createdAt: IsoTime;
  readonly expiresAt: IsoTime;
  readonly credentialHash: string;
}

/** A member as the node API reports it: `addedAt` in ISO 8601. */
export type MemberView = WithIsoTimes<MemberRecord, 'addedAt'>;

/** What `project.member.add` and `project.member.show` return. */
export interface MemberResult {
  readonly member: MemberView;
}

/** An attested credential-signing key of the authority (one per project node replica), times in ISO 8601. */
export type SignerInfo = WithIsoTimes<SignerView, 'attestedAt' | 'expiresAt' | 'withdrawnAt'>;

/** What `project.signer.list` returns. */
export interface SignerList {
  readonly project: string;
  readonly signers: readonly SignerInfo[];
}

/** What `project.member.list` returns. */
export interface MemberList {
  readonly members: readonly MemberView[];
}

/** What `project.ticket` returns: the ticket (a secret for the enrollee) with `expiresAt` in ISO 8601. */
export type TicketView = WithIsoTimes<CreatedTicketInfo, 'expiresAt'>;

/**
 * What `project.audit.show { project?, afterSeq?, sinceTime?, subject?, limit? }` returns:
 * one page of records (at most `limit`, at most AUDIT_SHOW_PAGE_RECORDS); `next` is the
 * `afterSeq` of the following page, absent when no record is left.
 */
export interface AuditRecords {
  readonly records: readonly AuditEntryView[];
  readonly next?: number;
}

/**
 * What `project.audit.export { project?, upToSeq?, afterSeq? }` returns: one page of the
 * export's JSONL lines, in order (at most AUDIT_EXPORT_PAGE_BYTES, or one authority page).
 * The first call (no cursor) makes the authority checkpoint its head; call again with
 * `upToSeq` and `afterSeq = next` until `next` is absent.
 */
export interface AuditExport {
  readonly lines: readonly string[];
  readonly upToSeq: number;
  readonly next?: number;
}

/** What `authority.info` returns (project nodes only). */
export interface AuthorityInfo {
  readonly project: string;
  readonly route: string;
  /** The route over WebSocket tickets carry besides `route`, when the project has one. */
  readonly wsRoute?: string;
  /** The route over UDP tickets carry besides `route`, when the project has one. */
  readonly udpRoute?: string;
  readonly authority: string;
  readonly storage: 'sqlite' | 'postgres';
  /** This node's id among the project's replicas (Postgres only). */
  readonly replica?: string;
  /** Routes of the project's live replicas, this one first (Postgres only). */
  readonly routes?: readonly string[];
  readonly relays: readonly string[];
  /** How many members the project has. */
  readonly members: number;
}

/** One authority's revocation list as a node applies it. */
export interface RevocationListState {
  readonly authority: string;
  /** When the authority signed (or, on its own project node, read) the list in force (ms). */
  readonly issuedAt: number;
  readonly entries: number;
  /** Signing keys (`K...`) the authority withdrew: credentials they signed are refused. */
  readonly withdrawnSigners: readonly string[];
}

/** What `revocations.show` returns: `issuedAt` in ISO 8601. */
export interface RevocationsView {
  readonly lists: readonly WithIsoTimes<RevocationListState, 'issuedAt'>[];
}

/** What `project.member.remove` returns: when access ended and until when the revocation is published, in ISO 8601. */
export type MemberRemovalView = WithIsoTimes<MemberRemoval, 'accessEndedAt' | 'revokedUntil'>;

/** What `project.member.suspend` returns. */
export interface MemberSuspension {
  readonly accessEndedAt: IsoTime;
}

/** What `project.attribute-names` returns: the attribute names the project's members carry, sorted. */
export interface AttributeNames {
  readonly project: string;
  readonly names: readonly string[];
}
