import { ROLE_ATTRIBUTE } from '../core/credential/role-attribute.js';
import { sha256 } from '../core/cbor.js';
import { InvalidInputError, NotFoundError, UnauthorizedError, UnsupportedError } from '../core/errors.js';
import type { PublicKey, Signature } from '../core/vault/keys.js';
import { signerKeyId } from '../core/credential/signer-key.js';
import { SignerWithdrawnError } from './signer-withdrawn-error.js';
import { grantedAttributes, validateAttributes, validateRelayNames, type Attributes } from './attributes.js';
import { AUDIT_EXPORT_FORMAT, checkpointLine, exportAuditLines, recordLine, type AuditExportHeader } from './audit-export.js';
import { buildConsistencyProof, buildInclusionProof, type AuditConsistencyProof, type AuditInclusionProof } from './audit-proof.js';
import { AUDIT_FORMAT_VERSION, CHECKPOINT_VERSION, checkpointDigest, type AuditCheckpoint, type AuditEntry, type AuditValue, type SignedCheckpoint } from './audit-record.js';
import { auditTreeAt, checkpointWithRoot, frontierHex } from './audit-tree.js';
import type { AuditQuery, AuthorityStore, AuthorityTransaction, MemberRecord, RevocationRecord, Role, SignerRecord, StoreCallOptions } from './authority-store.js';
import { DEFAULT_CREDENTIAL_TTL_MS, DEFAULT_TICKET_TTL_MS, MAX_CREDENTIAL_TTL_MS, MIN_CREDENTIAL_TTL_MS } from './credential-lifetime.js';
import { encodeEnrollmentTicket } from './enrollment-ticket.js';
import { EMPTY_GRANT_SCOPE, isEmptyScope, outsideScope, validateGrantScope, type GrantScope } from './grant-scope.js';
import { RefusalLimiter, type RefusalLimiterOptions } from './refusal-limiter.js';
import { encodeRevocationList, REVOCATION_LIST_TTL_MS, REVOCATION_LIST_VERSION, revocationEntries, WITHDRAWN_SIGNER_GRACE_MS, type SignedRevocationList } from './revocation-list.js';
import { TicketRefusedError } from './ticket-refused-error.js';
import { generateTicketCode, ticketCodeHash } from './ticket-code.js';


/** How long recording an undelivered credential may take (the request it concerns is over). */
const UNDELIVERED_RECORD_TIMEOUT_MS = 10_000;
/** Signs a credential for `subject` (done by the authority's credential purpose key). */
export type SignCredential = (subject: string, attributes: Attributes, ttlMs: number) => Promise<SignedCredential>;
/** What {@link SignCredential} returns. */
export interface SignedCredential {
  readonly credential: Uint8Array;
  readonly attestation: Uint8Array;
  readonly expiresAt: number;
  /** Defaults to the time the authority asked for the signature. */
  readonly createdAt?: number;
  /** `signerKeyId` of the key that signed it: issuance is refused when that key was withdrawn. */
  readonly signerKey?: string;
}
/** Signs a 32-byte digest with the authority's identity key. */
export type SignDigest = (digest: Uint8Array) => Promise<Signature>;
/** Signs a revocation list digest with the credential-signing key; returns the signature and that key's attestation. */
export type SignRevocationList = (digest: Uint8Array) => Promise<{ signature: Signature; attestation: Uint8Array }>;

/** Configuration of an {@link Authority}. */
export interface AuthorityOptions {
  readonly store: AuthorityStore;
  /** The authority identity's identifier. */
  readonly identifier: string;
  /** Printed into tickets so enrollees can reach and authenticate the authority. */
  readonly project: {
    readonly name: string; readonly route: string; readonly wsRoute?: string; readonly udpRoute?: string; readonly authorityChangeHistory: Uint8Array;
    /** Routes of all the project's replicas (this one first), printed into tickets when there are several; read for each ticket. */
    readonly routes?: () => readonly string[] | Promise<readonly string[]>;
    /**
     * The live replicas' routes as last read (no database round trip): what members refresh
     * their project records from (see {@link Authority.replicaRoutes}).
     */
    readonly knownRoutes?: () => readonly string[];
  };
  readonly signCredential: SignCredential;
  readonly signDigest: SignDigest;
  /** Signs revocation lists (without it, {@link Authority.signedRevocationList} is unavailable). */
  readonly signRevocationList?: SignRevocationList;
  /** The key `signDigest` signs with, so checkpoints can be checked right after signing. */
  readonly publicKey?: PublicKey;
  /** Credential lifetime (default 1 h). */
  readonly credentialTtlMs?: number;
  /** Sign a checkpoint after this many audited changes made through this instance (default 1000). */
  readonly checkpointEvery?: number;
  /** How refusal records are rate-limited and aggregated (default: 60 s windows, 100 single records a window). */
  readonly refusals?: Omit<RefusalLimiterOptions, 'clock'>;
  readonly clock?: () => number;
}

/** Told the key id of a signing key found withdrawn (by this instance, or by an issuance that met it). */
export type SignerWithdrawnListener = (keyId: string) => void;

/** What {@link Authority.registerSigner} registers: a replica's attested credential-signing key. */
export interface SignerRegistration {
  /** The project node (replica) holding the key. */
  readonly replica: string;
  readonly publicKey: PublicKey;
  /** The attestation by the authority's primary key. */
  readonly attestation: Uint8Array;
  /** When the attestation expires (ms since the epoch). */
  readonly expiresAt: number;
}

/** Told about every revocation and resumption right after it committed. */
export type RevocationListener = (event: { readonly identifier: string; readonly revocation: RevocationRecord | undefined }) => void;

/** Options of {@link Authority.createTicket}. */
export interface TicketOptions {
  readonly attributes?: Attributes;
  /** Redemptions admitted (default 1, at most 10000). */
  readonly usageCount?: number;
  /** Lifetime in ms (default 10 minutes, at most 30 days). */
  readonly expiresInMs?: number;
  /** Relay names the enrollee may register; they become the `relay` attribute. */
  readonly relays?: readonly string[];
  /** The enrollee becomes an enroller (admins only). */
  readonly enroller?: boolean;
  /** For an enroller ticket: attribute grants (`name=value`, `name=*`) the new enroller may put in its tickets (default none). */
  readonly mayGrant?: readonly string[];
  /** For an enroller ticket: relay names the new enroller may grant (default none). */
  readonly mayGrantRelays?: readonly string[];
}

/** A created ticket. `ticket` and `code` are secrets for the enrollee; `hash` is what the log shows. */
export interface CreatedTicket {
  readonly ticket: string;
  readonly code: Uint8Array;
  readonly hash: string;
  readonly expiresAt: number;
  readonly usageCount: number;
}

/** A credential the authority issued. */
export interface IssuedCredential extends SignedCredential {
  readonly createdAt: number;
  readonly credentialHash: string;
}

/** Where an audit export page starts (see {@link Authority.exportAuditPage}). */
export interface AuditExportCursor {
  /** The export covers records up to this checkpointed `seq` (absent on the first page). */
  readonly upToSeq?: number;
  /** Records after this `seq` (default 0). */
  readonly afterSeq?: number;
  /** Byte budget of one page's lines (default 128 KiB). */
  readonly maxBytes?: number;
  /**
   * First page only: sign a checkpoint for the head and export up to it (default), or
   * (`false`) export up to the current head with only the checkpoints already signed, as a
   * stream that follows the log does between its periodic checkpoints.
   */
  readonly sign?: boolean;
  /**
   * First page only: start with the header (default). With `afterSeq` above 0 the header
   * names where the export continues the log (see {@link AuditExportHeader.afterSeq}).
   * A stream that continues its own output asks for none.
   */
  readonly header?: boolean;
}

/** One page of an audit export. */
export interface AuditExportPage {
  /** JSONL lines; the header comes first on the first page. */
  readonly lines: string[];
  readonly upToSeq: number;
  /** `afterSeq` of the next page; absent on the last page. */
  readonly next?: number;
}

/** Marks an audited refusal inside a transaction's result. */
class Refusal {
  constructor(readonly reason: string) {}
}

/**
 * The authority's services as a library: tickets, enrollment, members and credential
 * issuance, each change audited in the transaction that makes it. Network services
 * call these methods with the identifier of the authenticated peer as `actor`.
 */
export class Authority {
  private readonly store: AuthorityStore;
  private readonly clock: () => number;
  private readonly ttl: number;
  private readonly checkpointEvery: number;
  private changesSinceCheckpoint = 0;
  private checkpointing: Promise<SignedCheckpoint | undefined> | undefined;
  private readonly refusals: RefusalLimiter;
  private readonly windowMs: number;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly revocationListeners = new Set<RevocationListener>();
  private readonly signerListeners = new Set<SignerWithdrawnListener>();
  private signedList: { at: number; signed: Promise<SignedRevocationList> } | undefined;

  constructor(private readonly options: AuthorityOptions) {
    this.store = options.store;
    this.clock = options.clock ?? Date.now;
    this.ttl = options.credentialTtlMs ?? DEFAULT_CREDENTIAL_TTL_MS;
    if (!Number.isSafeInteger(this.ttl) || this.ttl < MIN_CREDENTIAL_TTL_MS || this.ttl > MAX_CREDENTIAL_TTL_MS) {
      throw new InvalidInputError('authority', 'credential lifetime must be between 1 minute and 30 days');
    }
    this.checkpointEvery = Math.max(1, options.checkpointEvery ?? 1000);
    this.windowMs = options.refusals?.windowMs ?? 60_000;
    this.refusals = new RefusalLimiter({ ...options.refusals, windowMs: this.windowMs, clock: this.clock });
  }

  /** The authority's identifier. */
  get identifier(): string {
    return this.options.identifier;
  }

  /** Makes `admin` the first admin when the project has none (the project's creator). Idempotent. */
  async bootstrap(admin: string, options?: StoreCallOptions): Promise<void> {
    await this.write(async (tx) => {
      if ((await tx.listMembers()).some((m) => m.role === 'admin')) return;
      await tx.putMember({ identifier: admin, attributes: {}, role: 'admin', addedBy: this.identifier, addedAt: this.clock() }, this.identifier);
    }, options);
  }

  /**
   * Creates a ticket; admins and enrollers may, only admins may create enroller tickets.
   * An enroller's ticket may grant only what its scope lists (see {@link GrantScope});
   * anything else is refused and audited. `createdBy` (the actor) is stored with the
   * ticket and may not redeem it.
   */
  async createTicket(actor: string, ticketOptions: TicketOptions = {}, options?: StoreCallOptions): Promise<CreatedTicket> {
    const attributes = validateAttributes(ticketOptions.attributes ?? {}, 'ticket attributes');
    const relays = validateRelayNames(ticketOptions.relays ?? []);
    if (relays.length > 0 && 'relay' in attributes) throw new InvalidInputError('authority', 'give relay names with the relay option, not as a "relay" attribute');
    const usageCount = ticketOptions.usageCount ?? 1;
    if (!Number.isSafeInteger(usageCount) || usageCount < 1 || usageCount > 10_000) throw new InvalidInputError('authority', 'usage count must be an integer from 1 to 10000');
    const ttl = ticketOptions.expiresInMs ?? DEFAULT_TICKET_TTL_MS;
    if (!Number.isSafeInteger(ttl) || ttl < 1000 || ttl > MAX_CREDENTIAL_TTL_MS) throw new InvalidInputError('authority', 'ticket expiry must be between 1 second and 30 days');
    const enroller = ticketOptions.enroller === true;
    const grants = validateGrantScope(ticketOptions.mayGrant ?? [], ticketOptions.mayGrantRelays ?? []);
    if (!enroller && !isEmptyScope(grants)) throw new InvalidInputError('authority', 'may-grant and may-grant-relay apply to enroller tickets only (add --enroller)');
    const code = generateTicketCode();
    const hash = ticketCodeHash(code);
    const now = this.clock();
    const expiresAt = now + ttl;
    const action = enroller ? 'ticket.create-enroller' : 'ticket.create';
    await this.authorized(actor, action, enroller ? ['admin'] : ['admin', 'enroller'], async (tx, member) => {
      if (member.role === 'enroller') {
        const outside = outsideScope(member.grants ?? EMPTY_GRANT_SCOPE, attributes, relays);
        if (outside !== undefined) return await this.refuse(tx, actor, action, `outside the enroller's scope: ${outside}`);
      }
      await tx.createTicket({ hash, attributes, usageCount, usesLeft: usageCount, expiresAt, relays, enroller, createdBy: actor, createdAt: now, ...(enroller ? { grants } : {}) });
      return undefined;
    }, options);
    const { name, route, wsRoute, udpRoute, authorityChangeHistory } = this.options.project;
    const routes = (await this.options.project.routes?.()) ?? [];
    const ticket = encodeEnrollmentTicket({
      projectName: name, projectRoute: route, ...(wsRoute === undefined ? {} : { projectWsRoute: wsRoute }), ...(udpRoute === undefined ? {} : { projectUdpRoute: udpRoute }),
      authorityChangeHistory, code, expiresAt,
      ...(routes.length > 1 ? { projectRoutes: [route, ...routes.filter((r) => r !== route)].slice(0, 32) } : {}),
    });
    return { ticket, code, hash, expiresAt, usageCount };
  }

  /**
   * Routes of the project's live replicas, this one's first (just this one's for a project
   * without replicas): members save them in their project records and fail over to them.
   * At most 32, as in tickets.
   */
  replicaRoutes(): string[] {
    const { route, knownRoutes } = this.options.project;
    return [route, ...(knownRoutes?.() ?? []).filter((r) => r !== route)].slice(0, 32);
  }

  /**
   * Redeems a ticket code for `enrollee`, which becomes a member with the ticket's
   * attributes (merged over its current ones if it was already a member). Idempotent for
   * the enrollee: when it is a member through this very ticket (it redeemed it before, and
   * perhaps never saw the answer), it gets the same membership again, no use of the ticket
   * is taken, and the log records a `ticket.redeemed` with `retry: true`. Throws
   * {@link TicketRefusedError} naming why a ticket was refused (another identity presenting
   * a used ticket gets `used-up`).
   */
  async redeemTicket(code: Uint8Array, enrollee: string, options?: StoreCallOptions): Promise<MemberRecord> {
    const hash = ticketCodeHash(code);
    const result = await this.write(async (tx) => {
      const precheck = await this.redemptionProblem(tx, hash, enrollee);
      if (precheck === undefined) {
        const current = await tx.getMember(enrollee);
        if (current !== undefined && current.ticketHash === hash) {
          await tx.recordRedemptionRetry(hash, enrollee, (await tx.getTicket(hash))?.usesLeft ?? 0);
          return { ok: true as const, member: current };
        }
      }
      const redemption = precheck === undefined ? await tx.redeemTicket(hash, enrollee, this.clock()) : { ok: false as const, reason: precheck };
      if (!redemption.ok) {
        await this.recordRefusal(tx, 'ticket.refused', enrollee, redemption.reason, { ticketHash: hash, subject: enrollee, reason: redemption.reason });
        return redemption;
      }
      const t = redemption.ticket;
      const existing = await tx.getMember(enrollee);
      const role: Role = existing?.role === 'admin' ? 'admin' : t.enroller || existing?.role === 'enroller' ? 'enroller' : 'member';
      const grants = t.enroller ? t.grants : existing?.grants;
      const member: MemberRecord = {
        identifier: enrollee, role, attributes: { ...existing?.attributes, ...grantedAttributes(t.attributes, t.relays) },
        addedBy: enrollee, addedAt: this.clock(), ticketHash: hash, ...(role === 'enroller' && grants !== undefined ? { grants } : {}),
      };
      await tx.putMember(member, enrollee);
      return { ok: true as const, member };
    }, options);
    if (!result.ok) throw new TicketRefusedError(result.reason);
    return result.member;
  }

  /**
   * Why a ticket may not be redeemed by `enrollee` before its use is counted: its creator
   * redeeming it, a suspended enrollee, or a creator that may no longer grant what it grants
   * (removed, suspended, demoted, or an enroller whose scope no longer covers it).
   */
  private async redemptionProblem(tx: AuthorityTransaction, hash: string, enrollee: string): Promise<'own-ticket' | 'creator-not-authorised' | 'suspended' | undefined> {
    const ticket = await tx.getTicket(hash);
    if (ticket === undefined) return undefined;
    if (ticket.createdBy === enrollee) return 'own-ticket';
    if ((await tx.getRevocation(enrollee))?.kind === 'suspended') return 'suspended';
    if (ticket.createdBy === this.identifier) return undefined;
    const creator = await tx.getMember(ticket.createdBy);
    if (creator === undefined || (await tx.getRevocation(ticket.createdBy))?.kind === 'suspended') return 'creator-not-authorised';
    if (creator.role === 'admin') return undefined;
    if (creator.role !== 'enroller' || ticket.enroller) return 'creator-not-authorised';
    return outsideScope(creator.grants ?? EMPTY_GRANT_SCOPE, ticket.attributes, ticket.relays) === undefined ? undefined : 'creator-not-authorised';
  }

  /**
   * Records that the answer carrying credential `credentialHash`, issued to `subject`, could
   * not be delivered (`credential.undelivered`, after its `credential.issued` record): the
   * caller's channel closed before the answer could be sent, or the answer was sent after the
   * request's deadline. Runs under its own deadline: the request's is gone by then.
   */
  async recordUndelivered(subject: string, credentialHash: string, reason: string): Promise<void> {
    await this.write((tx) => tx.recordChange('credential.undelivered', this.identifier, { subject, credentialHash, reason }), { signal: AbortSignal.timeout(UNDELIVERED_RECORD_TIMEOUT_MS) });
  }

  /**
   * Issues a credential to a member. Membership is checked again in the transaction that
   * records the issuance, so a member removed while its credential was being signed gets
   * nothing.
   */
  async issueCredentialFor(subject: string, options?: StoreCallOptions): Promise<IssuedCredential> {
    const member = await this.store.getMember(subject, options);
    if (member === undefined) {
      await this.write((tx) => this.recordRefusal(tx, 'credential.refused', subject, 'not a member', { subject, reason: 'not a member' }), options);
      throw new UnauthorizedError('authority', 'credential refused: not a member of this project');
    }
    if ((await this.store.listRevocations(this.clock(), options)).some((r) => r.identifier === subject && r.kind === 'suspended')) {
      await this.write((tx) => this.recordRefusal(tx, 'credential.refused', subject, 'suspended', { subject, reason: 'suspended' }), options);
      throw new UnauthorizedError('authority', 'credential refused: this member is suspended');
    }
    await this.afterRevocationSecond(subject, options);
    const requestedAt = this.clock();
    // The member's role travels in the credential, so nodes can tell the project's admins.
    const signed = await this.options.signCredential(subject, { ...member.attributes, [ROLE_ATTRIBUTE]: member.role }, this.ttl);
    const credentialHash = Buffer.from(sha256(signed.credential)).toString('hex');
    const createdAt = signed.createdAt ?? requestedAt;
    const outcome = await this.write(async (tx) => {
      const now = await tx.getMember(subject);
      const suspended = (await tx.getRevocation(subject))?.kind === 'suspended';
      if (signed.signerKey !== undefined && (await tx.getSigner(signed.signerKey))?.withdrawnAt !== undefined) {
        await this.recordRefusal(tx, 'credential.refused', subject, 'signing key withdrawn', { subject, reason: 'signing key withdrawn', signerKey: signed.signerKey });
        return 'withdrawn' as const;
      }
      if (now === undefined || suspended || JSON.stringify(now.attributes) !== JSON.stringify(member.attributes) || now.role !== member.role) {
        const reason = now === undefined ? 'member removed' : suspended ? 'suspended' : now.role !== member.role ? 'role changed' : 'attributes changed';
        await tx.recordRefusal('credential.refused', subject, { subject, reason });
        return false;
      }
      const authorisedBy = now.ticketHash !== undefined ? { ticketHash: now.ticketHash } : { admin: now.addedBy };
      await tx.recordCredentialIssued({
        subject, attributes: now.attributes, createdAt, expiresAt: signed.expiresAt, credentialHash, authorisedBy,
        ...(signed.signerKey === undefined ? {} : { signerKey: signed.signerKey }),
      }, this.identifier);
      return true;
    }, options);
    if (outcome === 'withdrawn') {
      this.notifySignerWithdrawn(signed.signerKey as string);
      throw new SignerWithdrawnError(signed.signerKey as string, `credential refused: this project node's signing key ${signed.signerKey as string} was withdrawn; it makes a new one, ask again`);
    }
    if (!outcome) throw new UnauthorizedError('authority', 'credential refused: membership changed while issuing, ask again');
    return { ...signed, createdAt, credentialHash };
  }

  /**
   * Credentials carry their creation time in whole seconds and a removal revokes those
   * created at or before it: a member re-added in the second of its removal waits for the
   * next second, so its new credential is not revoked with the old ones.
   */
  private async afterRevocationSecond(subject: string, options?: StoreCallOptions): Promise<void> {
    const removed = (await this.store.listRevocations(this.clock(), options)).find((r) => r.identifier === subject && r.kind === 'removed');
    if (removed === undefined) return;
    const wait = Math.floor(removed.revokedAt / 1000) * 1000 + 1000 - this.clock();
    if (wait > 0 && wait <= 1000) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  /** Adds or replaces a member (admins only); an enroller gets the scope `grants` (default none). */
  async addMember(actor: string, identifier: string, member: { attributes?: Attributes; role?: Role; grants?: GrantScope } = {}, options?: StoreCallOptions): Promise<MemberRecord> {
    if (typeof identifier !== 'string' || identifier.length === 0 || identifier.length > 256) throw new InvalidInputError('authority', 'member identifier must be 1-256 characters');
    const role = member.role ?? 'member';
    if (!['admin', 'enroller', 'member'].includes(role)) throw new InvalidInputError('authority', `unknown role ${String(role)}`);
    const grants = validateGrantScope(member.grants?.attributes ?? [], member.grants?.relays ?? []);
    if (role !== 'enroller' && !isEmptyScope(grants)) throw new InvalidInputError('authority', 'may-grant and may-grant-relay apply to enrollers only (add --role enroller)');
    const record: MemberRecord = {
      identifier, attributes: validateAttributes(member.attributes ?? {}, 'member attributes'), role, addedBy: actor, addedAt: this.clock(),
      ...(role === 'enroller' && !isEmptyScope(grants) ? { grants } : {}),
    };
    await this.authorized(actor, 'member.add', ['admin'], (tx) => tx.putMember(record, actor), options);
    return record;
  }

  /**
   * Removes a member (admins only): it gets no credential from then on, and every credential
   * issued to it so far is revoked (see {@link revocations}). Returns the revocation (with
   * the time access ended), or undefined if it was not a member.
   */
  async removeMember(actor: string, identifier: string, options?: StoreCallOptions): Promise<RevocationRecord | undefined> {
    const revocation = await this.authorized(actor, 'member.remove', ['admin'], async (tx) => {
      const target = await tx.getMember(identifier);
      if (target === undefined) return undefined;
      if (target.role === 'admin' && (await tx.listMembers()).filter((m) => m.role === 'admin').length === 1) {
        throw new InvalidInputError('authority', 'cannot remove the last admin');
      }
      const revokedAt = this.clock();
      const record: RevocationRecord = { identifier, kind: 'removed', revokedAt, until: Math.max(revokedAt, await tx.latestCredentialExpiry(identifier)), actor };
      await tx.putRevocation(record);
      await tx.removeMember(identifier, actor, { accessEndedAt: revokedAt, revokedUntil: record.until });
      return record;
    }, options);
    if (revocation !== undefined) this.notifyRevocation(identifier, revocation);
    return revocation;
  }

  /**
   * Suspends a member (admins only): its credentials are revoked and no new one is issued
   * until {@link resumeMember}; it stays a member. Throws NotFoundError when it is not one.
   */
  async suspendMember(actor: string, identifier: string, options?: StoreCallOptions): Promise<RevocationRecord> {
    const revocation = await this.authorized(actor, 'member.suspend', ['admin'], async (tx) => {
      const target = await tx.getMember(identifier);
      if (target === undefined) throw new NotFoundError('authority', `${identifier} is not a member of this project`);
      if (target.role === 'admin' && (await tx.listMembers()).filter((m) => m.role === 'admin').length === 1) {
        throw new InvalidInputError('authority', 'cannot suspend the last admin');
      }
      const existing = await tx.getRevocation(identifier);
      if (existing?.kind === 'suspended') return existing;
      const revokedAt = this.clock();
      const record: RevocationRecord = { identifier, kind: 'suspended', revokedAt, until: 0, actor };
      await tx.putRevocation(record);
      await tx.recordChange('member.suspended', actor, { subject: identifier, role: target.role, accessEndedAt: revokedAt });
      return record;
    }, options);
    this.notifyRevocation(identifier, revocation);
    return revocation;
  }

  /** Ends a suspension (admins only); false when the member was not suspended. */
  async resumeMember(actor: string, identifier: string, options?: StoreCallOptions): Promise<boolean> {
    const resumed = await this.authorized(actor, 'member.resume', ['admin'], async (tx) => {
      if ((await tx.getRevocation(identifier))?.kind !== 'suspended') return false;
      await tx.deleteRevocation(identifier);
      await tx.recordChange('member.resumed', actor, { subject: identifier, accessResumedAt: this.clock() });
      return true;
    }, options);
    if (resumed) this.notifyRevocation(identifier, undefined);
    return resumed;
  }

  /** Revocations in force now: what every node of the project must refuse (see docs/authority.md). */
  async revocations(options?: StoreCallOptions): Promise<RevocationRecord[]> {
    return await this.store.listRevocations(this.clock(), options);
  }

  /**
   * The revocations in force as a list signed by the credential-signing key, valid for
   * {@link REVOCATION_LIST_TTL_MS}. Signed at most once a second (and again after every
   * revocation through this instance), so members polling it cost little.
   */
  async signedRevocationList(options?: StoreCallOptions): Promise<SignedRevocationList> {
    const sign = this.options.signRevocationList;
    if (sign === undefined) throw new UnsupportedError('authority', 'this authority does not sign revocation lists');
    const now = this.clock();
    if (this.signedList !== undefined && now - this.signedList.at < 1000) return await this.signedList.signed;
    const signed = (async (): Promise<SignedRevocationList> => {
      const entries = revocationEntries(await this.store.listRevocations(now, options));
      const withdrawnSigners = (await this.store.listSigners(options))
        .filter((x) => x.withdrawnAt !== undefined && x.expiresAt + WITHDRAWN_SIGNER_GRACE_MS > now)
        .map((x) => ({ key: x.keyId, withdrawnAt: x.withdrawnAt as number }));
      const { bytes, digest } = encodeRevocationList({
        version: REVOCATION_LIST_VERSION, authority: this.identifier, issuedAt: now, expiresAt: now + REVOCATION_LIST_TTL_MS, entries, withdrawnSigners,
      });
      return { list: bytes, ...(await sign(digest)) };
    })();
    this.signedList = { at: now, signed };
    signed.catch(() => { if (this.signedList?.signed === signed) this.signedList = undefined; });
    return await signed;
  }

  /**
   * Registers the attestation of a replica's credential-signing key (new, or renewed before
   * expiry), audited as `signer.attested` with the authority as actor; an unchanged
   * attestation is not written again. Throws {@link SignerWithdrawnError} when the key was
   * withdrawn: the replica must make a new key.
   */
  async registerSigner(registration: SignerRegistration, options?: StoreCallOptions): Promise<SignerRecord> {
    const replica = registration.replica;
    if (typeof replica !== 'string' || replica.length === 0 || replica.length > 128) throw new InvalidInputError('authority', 'replica name must be 1-128 characters');
    const keyId = signerKeyId(registration.publicKey);
    const record: SignerRecord = {
      keyId, replica, keyType: registration.publicKey.type, publicKey: Buffer.from(registration.publicKey.bytes).toString('hex'),
      attestation: Buffer.from(registration.attestation).toString('hex'), attestedAt: this.clock(), expiresAt: registration.expiresAt,
    };
    const result = await this.write(async (tx) => {
      const existing = await tx.getSigner(keyId);
      if (existing?.withdrawnAt !== undefined) return existing;
      if (existing !== undefined && existing.attestation === record.attestation && existing.replica === replica) return existing;
      await tx.putSigner(record, this.identifier);
      return record;
    }, options);
    if (result.withdrawnAt !== undefined) throw new SignerWithdrawnError(keyId);
    return result;
  }

  /**
   * Withdraws the attestation of signing key `keyId` (admins only), audited as
   * `signer.withdrawn`: issuance with it stops, and the next revocation lists name it, so
   * member nodes refuse the credentials it signed. NotFoundError when the key is unknown.
   */
  async withdrawSigner(actor: string, keyId: string, options?: StoreCallOptions): Promise<SignerRecord> {
    if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > 64) throw new InvalidInputError('authority', 'signing key id must be 1-64 characters');
    const withdrawn = await this.authorized(actor, 'signer.withdraw', ['admin'], async (tx) => await tx.withdrawSigner(keyId, actor, this.clock()), options);
    if (withdrawn === undefined) throw new NotFoundError('authority', `${keyId} is not a signing key of this authority (see: symbolon project signer list)`);
    this.signedList = undefined;
    this.notifySignerWithdrawn(keyId);
    return withdrawn;
  }

  /** The attested signing keys, withdrawn ones too (admins only). */
  async listSigners(actor: string, options?: StoreCallOptions): Promise<SignerRecord[]> {
    await this.authorized(actor, 'signer.list', ['admin'], async () => undefined, options);
    return await this.store.listSigners(options);
  }

  /** The attested signing keys as stored (not audited: for the project node's own checks). */
  async signers(options?: StoreCallOptions): Promise<SignerRecord[]> {
    return await this.store.listSigners(options);
  }

  /** Calls `listener` with the key id of a signing key found withdrawn; returns an unsubscribe function. */
  onSignerWithdrawn(listener: SignerWithdrawnListener): () => void {
    this.signerListeners.add(listener);
    return () => { this.signerListeners.delete(listener); };
  }

  private notifySignerWithdrawn(keyId: string): void {
    this.signedList = undefined;
    for (const listener of [...this.signerListeners]) {
      try {
        listener(keyId);
      } catch {
        // A listener's failure must not hide a committed withdrawal.
      }
    }
  }

  /** Calls `listener` after every committed revocation or resumption; returns an unsubscribe function. */
  onRevocation(listener: RevocationListener): () => void {
    this.revocationListeners.add(listener);
    return () => { this.revocationListeners.delete(listener); };
  }

  /** Writes the aggregates of refusals still counted (called on stop) and stops the flush timer. */
  async close(options?: StoreCallOptions): Promise<void> {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushRefusals(true, options);
  }

  /** Writes one `refusals.aggregated` record per aggregate whose window is over (all with `all`). */
  async flushRefusals(all = false, options?: StoreCallOptions): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    const aggregates = this.refusals.drain(all);
    if (aggregates.length === 0) return;
    this.flushing = this.write(async (tx) => {
      for (const a of aggregates) {
        await tx.recordRefusal('refusals.aggregated', a.actor === '*' ? this.identifier : a.actor, {
          refusedType: a.type, reason: a.reason, count: a.count, identities: a.identities, firstAt: a.firstAt, lastAt: a.lastAt,
          ...(a.actor === '*' ? {} : { subject: a.actor }),
        });
      }
    }, options).finally(() => { this.flushing = undefined; });
    await this.flushing;
  }

  /** Whether `identifier` is a member (any role), a suspended one, or none; not audited. */
  async membershipOf(identifier: string, options?: StoreCallOptions): Promise<'member' | 'suspended' | 'not-a-member'> {
    if ((await this.store.getMember(identifier, options)) === undefined) return 'not-a-member';
    const suspended = (await this.store.listRevocations(this.clock(), options)).some((r) => r.identifier === identifier && r.kind === 'suspended');
    return suspended ? 'suspended' : 'member';
  }

  /** All members (admins only). */
  async listMembers(actor: string, options?: StoreCallOptions): Promise<MemberRecord[]> {
    return await this.authorized(actor, 'member.list', ['admin'], (tx) => tx.listMembers(), options);
  }

  /**
   * The attribute names the members' credentials carry, sorted: names only, no values or
   * members, so any member may ask (policy authors check that an attribute exists).
   */
  async attributeNames(actor: string, options?: StoreCallOptions): Promise<string[]> {
    return await this.authorized(actor, 'member.attribute-names', ['admin', 'enroller', 'member'], async (tx) => {
      const names = new Set<string>();
      for (const member of await tx.listMembers()) for (const name of Object.keys(member.attributes)) names.add(name);
      return [...names].sort();
    }, options);
  }

  /** One member (admins, or the member itself). */
  async getMember(actor: string, identifier: string, options?: StoreCallOptions): Promise<MemberRecord | undefined> {
    if (actor === identifier) return await this.store.getMember(identifier, options);
    return await this.authorized(actor, 'member.show', ['admin'], (tx) => tx.getMember(identifier), options);
  }

  /**
   * Records, in the audit log, an access refused outside the authority's own services (for
   * example a relay takeover attempt on the project node): type `access.refused`, `actor`
   * the peer refused, `action` and `reason` plus `fields` (never secrets).
   */
  async recordAccessRefusal(actor: string, action: string, reason: string, fields: Readonly<Record<string, string>> = {}, options?: StoreCallOptions): Promise<void> {
    // Rate-limited like every refusal record: a peer repeating the attempt is aggregated, not a flood.
    await this.write((tx) => this.recordRefusal(tx, 'access.refused', actor, `${action}:${reason}`, { ...fields, action, reason }), options);
  }

  /** Signs a checkpoint for the current head of the log (none when the log is empty or already covered). */
  async checkpoint(options?: StoreCallOptions): Promise<SignedCheckpoint | undefined> {
    while (this.checkpointing !== undefined) await this.checkpointing.catch(() => undefined);
    this.checkpointing = this.signCheckpoint(options);
    try {
      return await this.checkpointing;
    } finally {
      this.checkpointing = undefined;
    }
  }

  /** Checkpoints the head, then returns the whole log as JSONL lines (header, records, checkpoints). */
  async exportAudit(options?: StoreCallOptions): Promise<string[]> {
    const latest = (await this.checkpoint(options)) ?? (await this.store.checkpoints(undefined, options)).at(-1);
    const lines: string[] = [];
    for await (const line of exportAuditLines(this.store, this.identifier, latest?.seq ?? 0, this.clock(), options)) lines.push(line);
    return lines;
  }

  /** Audit records matching `query`, in `seq` order (admins only). */
  async readAudit(actor: string, query: AuditQuery = {}, options?: StoreCallOptions): Promise<AuditEntry[]> {
    await this.authorized(actor, 'audit.show', ['admin'], async () => undefined, options);
    return await this.store.readAudit(query, options);
  }

  /**
   * One page of an audit export (admins only), for callers that cannot hold the whole log
   * at once. The first page (no `upToSeq`) checkpoints the head and starts with the header;
   * pass the returned `upToSeq` and `next` to get the following page, until `next` is absent.
   * Lines are added while they fit in `maxBytes` (default 128 KiB), at least one record a page.
   */
  async exportAuditPage(actor: string, cursor: AuditExportCursor = {}, options?: StoreCallOptions): Promise<AuditExportPage> {
    await this.authorized(actor, 'audit.export', ['admin'], async () => undefined, options);
    const maxBytes = cursor.maxBytes ?? 128 * 1024;
    const lines: string[] = [];
    let upToSeq = cursor.upToSeq;
    const first = upToSeq === undefined;
    if (upToSeq === undefined) {
      upToSeq = cursor.sign === false
        ? (await this.store.auditHead(options)).seq
        : ((await this.checkpoint(options)) ?? (await this.store.checkpoints(undefined, options)).at(-1))?.seq ?? 0;
      const from = cursor.afterSeq ?? 0;
      if (from > upToSeq) throw new InvalidInputError('authority', `the audit log ends at record ${upToSeq}: there is nothing after record ${from}`);
      if (cursor.header !== false) lines.push(JSON.stringify(await this.exportHeader(from, options)));
    }
    let after = cursor.afterSeq ?? 0;
    if (after >= upToSeq) {
      // An incremental export with nothing new still ends with the latest checkpoint (at its start).
      if (first && cursor.sign !== false && upToSeq > 0) lines.push(...(await this.store.checkpointsBetween(upToSeq - 1, upToSeq, options)).map(checkpointLine));
      return { lines, upToSeq };
    }
    const page = await this.store.readAudit({ afterSeq: after, limit: Math.min(500, upToSeq - after) }, options);
    const last = page.at(-1)?.seq ?? after;
    const checkpoints = await this.store.checkpointsBetween(after, last, options);
    let bytes = lines.reduce((n, l) => n + l.length, 0);
    for (const entry of page) {
      const group = [recordLine(entry), ...checkpoints.filter((c) => c.seq === entry.seq).map(checkpointLine)];
      const size = group.reduce((n, l) => n + l.length, 0);
      if (after !== (cursor.afterSeq ?? 0) && bytes + size > maxBytes) break;
      lines.push(...group);
      bytes += size;
      after = entry.seq;
    }
    return after < upToSeq && page.length > 0 ? { lines, upToSeq, next: after } : { lines, upToSeq };
  }

  /** The header of an export that starts after record `afterSeq` (0: from the first record). */
  private async exportHeader(afterSeq: number, options?: StoreCallOptions): Promise<AuditExportHeader> {
    const header: AuditExportHeader = { kind: 'header', format: AUDIT_EXPORT_FORMAT, version: AUDIT_FORMAT_VERSION, authority: this.identifier, exportedAt: this.clock() };
    if (afterSeq === 0) return header;
    const [record] = await this.store.readAudit({ afterSeq: afterSeq - 1, limit: 1 }, options);
    if (record === undefined || record.seq !== afterSeq) throw new NotFoundError('authority', `audit record ${afterSeq} is missing`);
    const tree = await auditTreeAt(this.store, afterSeq, await this.store.checkpoints(afterSeq, options), options);
    return { ...header, afterSeq, afterHash: record.hash, afterTree: frontierHex(tree) };
  }

  /**
   * An inclusion proof of record `seq` (admins only) against the checkpoint at
   * `checkpointSeq`, or against a checkpoint signed now for the head of the log.
   */
  async proveInclusion(actor: string, seq: number, checkpointSeq?: number, options?: StoreCallOptions): Promise<AuditInclusionProof> {
    await this.authorized(actor, 'audit.prove', ['admin'], async () => undefined, options);
    const checkpoint = checkpointSeq === undefined
      ? await this.checkpoint(options)
      : checkpointWithRoot(await this.store.checkpoints(checkpointSeq, options), checkpointSeq);
    if (checkpoint === undefined) throw new NotFoundError('authority', 'the audit log is empty');
    return await buildInclusionProof(this.store, seq, checkpoint, options);
  }

  /** A consistency proof between the checkpoints at `firstSeq` and `secondSeq` (admins only). */
  async proveConsistency(actor: string, firstSeq: number, secondSeq: number, options?: StoreCallOptions): Promise<AuditConsistencyProof> {
    await this.authorized(actor, 'audit.prove', ['admin'], async () => undefined, options);
    return await buildConsistencyProof(this.store, firstSeq, secondSeq, options);
  }

  /**
   * Signs a version 2 checkpoint (chain head and Merkle tree head) for the head of the log,
   * unless one exists; a version 1 checkpoint at the head is replaced by one with a tree head.
   */
  private async signCheckpoint(options?: StoreCallOptions): Promise<SignedCheckpoint | undefined> {
    const head = await this.store.auditHead(options);
    if (head.seq === 0) return undefined;
    const checkpoints = await this.store.checkpoints(undefined, options);
    const existing = checkpoints.at(-1);
    if (existing !== undefined && existing.seq === head.seq && existing.root !== undefined) return existing;
    const tree = await auditTreeAt(this.store, head.seq, checkpoints, options);
    const body: AuditCheckpoint = {
      version: CHECKPOINT_VERSION, authority: this.identifier, seq: head.seq, head: head.hash, root: Buffer.from(tree.root()).toString('hex'), time: this.clock(),
    };
    const signature = await this.options.signDigest(checkpointDigest(body));
    const signed: SignedCheckpoint = { ...body, signature };
    await this.store.saveCheckpoint({ ...signed, frontier: frontierHex(tree) }, options);
    this.changesSinceCheckpoint = 0;
    return signed;
  }

  /**
   * Runs a role-checked change; a refusal (of the role, or one `fn` returns) is audited
   * (rate-limited, see {@link RefusalLimiter}), committed, then thrown.
   */
  private async authorized<T>(actor: string, action: string, roles: readonly Role[], fn: (tx: AuthorityTransaction, member: MemberRecord) => Promise<T | Refusal>, options?: StoreCallOptions): Promise<T> {
    const result = await this.write<T | Refusal>(async (tx) => {
      const member = await tx.getMember(actor);
      if (member === undefined || !roles.includes(member.role)) {
        return await this.refuse(tx, actor, action, member === undefined ? 'not a member' : `role ${member.role} may not do this`);
      }
      if ((await tx.getRevocation(actor))?.kind === 'suspended') return await this.refuse(tx, actor, action, 'suspended');
      return await fn(tx, member);
    }, options);
    if (result instanceof Refusal) throw new UnauthorizedError('authority', `${action} refused: ${result.reason}`);
    return result;
  }

  /** Audits an `access.refused` (rate-limited) and returns the refusal for {@link authorized} to throw. */
  private async refuse(tx: AuthorityTransaction, actor: string, action: string, reason: string): Promise<Refusal> {
    await this.recordRefusal(tx, 'access.refused', actor, `${action}: ${reason}`, { action, reason });
    return new Refusal(reason);
  }

  /**
   * Appends a refusal record unless the limiter counts it instead (an identical refusal
   * earlier in the window, or the window's record budget spent); counted refusals are
   * written as `refusals.aggregated` records when their window ends.
   */
  private async recordRefusal(
    tx: AuthorityTransaction, type: 'access.refused' | 'credential.refused' | 'ticket.refused', actor: string, key: string, fields: Record<string, AuditValue>,
  ): Promise<void> {
    if (this.refusals.admit(type, actor, key)) {
      await tx.recordRefusal(type, actor, fields);
      return;
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flushRefusals().then(
        () => { if (this.refusals.pending) this.scheduleFlush(); },
        () => { this.scheduleFlush(); },
      );
    }, this.windowMs);
    this.flushTimer.unref();
  }

  private notifyRevocation(identifier: string, revocation: RevocationRecord | undefined): void {
    this.signedList = undefined;
    for (const listener of [...this.revocationListeners]) {
      try {
        listener({ identifier, revocation });
      } catch {
        // A listener's failure must not undo or hide a committed revocation.
      }
    }
  }

  /** Runs a transaction, then signs a checkpoint when enough changes have accumulated. */
  private async write<T>(fn: (tx: AuthorityTransaction) => Promise<T>, options?: StoreCallOptions): Promise<T> {
    const result = await this.store.withTransaction(fn, options);
    // One checkpoint per threshold: writers that cross it while one is being signed do not each sign another.
    if (++this.changesSinceCheckpoint >= this.checkpointEvery && this.checkpointing === undefined) await this.checkpoint(options);
    return result;
  }
}
