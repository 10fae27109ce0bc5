import { sha256 } from '../core/cbor.js';
import { InvalidInputError, UnauthorizedError } from '../core/errors.js';
import type { PublicKey, Signature } from '../core/vault/keys.js';
import { grantedAttributes, validateAttributes, validateRelayNames, type Attributes } from './attributes.js';
import { AUDIT_EXPORT_FORMAT, checkpointLine, exportAuditLines, recordLine, type AuditExportHeader } from './audit-export.js';
import { AUDIT_FORMAT_VERSION, checkpointDigest, type AuditCheckpoint, type AuditEntry, type SignedCheckpoint } from './audit-record.js';
import type { AuditQuery, AuthorityStore, AuthorityTransaction, MemberRecord, Role, StoreCallOptions } from './authority-store.js';
import { DEFAULT_CREDENTIAL_TTL_MS, DEFAULT_TICKET_TTL_MS, MAX_CREDENTIAL_TTL_MS, MIN_CREDENTIAL_TTL_MS } from './credential-lifetime.js';
import { encodeEnrollmentTicket } from './enrollment-ticket.js';
import { TicketRefusedError } from './ticket-refused-error.js';
import { generateTicketCode, ticketCodeHash } from './ticket-code.js';

/** Signs a credential for `subject` (done by the authority's credential purpose key). */
export type SignCredential = (subject: string, attributes: Attributes, ttlMs: number) => Promise<SignedCredential>;
/** What {@link SignCredential} returns. */
export interface SignedCredential {
  readonly credential: Uint8Array;
  readonly attestation: Uint8Array;
  readonly expiresAt: number;
  /** Defaults to the time the authority asked for the signature. */
  readonly createdAt?: number;
}
/** Signs a 32-byte digest with the authority's identity key. */
export type SignDigest = (digest: Uint8Array) => Promise<Signature>;

/** Configuration of an {@link Authority}. */
export interface AuthorityOptions {
  readonly store: AuthorityStore;
  /** The authority identity's identifier. */
  readonly identifier: string;
  /** Printed into tickets so enrollees can reach and authenticate the authority. */
  readonly project: { readonly name: string; readonly route: string; readonly authorityChangeHistory: Uint8Array };
  readonly signCredential: SignCredential;
  readonly signDigest: SignDigest;
  /** The key `signDigest` signs with, so checkpoints can be checked right after signing. */
  readonly publicKey?: PublicKey;
  /** Credential lifetime (default 1 h). */
  readonly credentialTtlMs?: number;
  /** Sign a checkpoint after this many audited changes made through this instance (default 1000). */
  readonly checkpointEvery?: number;
  readonly clock?: () => number;
}

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

  constructor(private readonly options: AuthorityOptions) {
    this.store = options.store;
    this.clock = options.clock ?? Date.now;
    this.ttl = options.credentialTtlMs ?? DEFAULT_CREDENTIAL_TTL_MS;
    if (!Number.isSafeInteger(this.ttl) || this.ttl < MIN_CREDENTIAL_TTL_MS || this.ttl > MAX_CREDENTIAL_TTL_MS) {
      throw new InvalidInputError('authority', 'credential lifetime must be between 1 minute and 30 days');
    }
    this.checkpointEvery = Math.max(1, options.checkpointEvery ?? 1000);
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

  /** Creates a ticket; admins and enrollers may, only admins may create enroller tickets. */
  async createTicket(actor: string, ticketOptions: TicketOptions = {}, options?: StoreCallOptions): Promise<CreatedTicket> {
    const attributes = validateAttributes(ticketOptions.attributes ?? {}, 'ticket attributes');
    const relays = validateRelayNames(ticketOptions.relays ?? []);
    if (relays.length > 0 && 'relay' in attributes) throw new InvalidInputError('authority', 'give relay names with the relay option, not as a "relay" attribute');
    const usageCount = ticketOptions.usageCount ?? 1;
    if (!Number.isSafeInteger(usageCount) || usageCount < 1 || usageCount > 10_000) throw new InvalidInputError('authority', 'usage count must be an integer from 1 to 10000');
    const ttl = ticketOptions.expiresInMs ?? DEFAULT_TICKET_TTL_MS;
    if (!Number.isSafeInteger(ttl) || ttl < 1000 || ttl > MAX_CREDENTIAL_TTL_MS) throw new InvalidInputError('authority', 'ticket expiry must be between 1 second and 30 days');
    const enroller = ticketOptions.enroller === true;
    const code = generateTicketCode();
    const hash = ticketCodeHash(code);
    const now = this.clock();
    const expiresAt = now + ttl;
    await this.authorized(actor, enroller ? 'ticket.create-enroller' : 'ticket.create', enroller ? ['admin'] : ['admin', 'enroller'], async (tx) => {
      await tx.createTicket({ hash, attributes, usageCount, usesLeft: usageCount, expiresAt, relays, enroller, createdBy: actor, createdAt: now });
    }, options);
    const { name, route, authorityChangeHistory } = this.options.project;
    const ticket = encodeEnrollmentTicket({ projectName: name, projectRoute: route, authorityChangeHistory, code, expiresAt });
    return { ticket, code, hash, expiresAt, usageCount };
  }

  /**
   * Redeems a ticket code for `enrollee`, which becomes a member with the ticket's
   * attributes (merged over its current ones if it was already a member). Throws
   * {@link TicketRefusedError} naming why a ticket was refused.
   */
  async redeemTicket(code: Uint8Array, enrollee: string, options?: StoreCallOptions): Promise<MemberRecord> {
    const hash = ticketCodeHash(code);
    const result = await this.write(async (tx) => {
      const redemption = await tx.redeemTicket(hash, enrollee, this.clock());
      if (!redemption.ok) return redemption;
      const t = redemption.ticket;
      const existing = await tx.getMember(enrollee);
      const role: Role = existing?.role === 'admin' ? 'admin' : t.enroller || existing?.role === 'enroller' ? 'enroller' : 'member';
      const member: MemberRecord = {
        identifier: enrollee, role, attributes: { ...existing?.attributes, ...grantedAttributes(t.attributes, t.relays) },
        addedBy: enrollee, addedAt: this.clock(), ticketHash: hash,
      };
      await tx.putMember(member, enrollee);
      return { ok: true as const, member };
    }, options);
    if (!result.ok) throw new TicketRefusedError(result.reason);
    return result.member;
  }

  /**
   * Issues a credential to a member. Membership is checked again in the transaction that
   * records the issuance, so a member removed while its credential was being signed gets
   * nothing.
   */
  async issueCredentialFor(subject: string, options?: StoreCallOptions): Promise<IssuedCredential> {
    const member = await this.store.getMember(subject, options);
    if (member === undefined) {
      await this.write((tx) => tx.recordRefusal('credential.refused', subject, { subject, reason: 'not a member' }), options);
      throw new UnauthorizedError('authority', 'credential refused: not a member of this project');
    }
    const requestedAt = this.clock();
    const signed = await this.options.signCredential(subject, member.attributes, this.ttl);
    const credentialHash = Buffer.from(sha256(signed.credential)).toString('hex');
    const createdAt = signed.createdAt ?? requestedAt;
    const outcome = await this.write(async (tx) => {
      const now = await tx.getMember(subject);
      if (now === undefined || JSON.stringify(now.attributes) !== JSON.stringify(member.attributes)) {
        await tx.recordRefusal('credential.refused', subject, { subject, reason: now === undefined ? 'member removed' : 'attributes changed' });
        return false;
      }
      const authorisedBy = now.ticketHash !== undefined ? { ticketHash: now.ticketHash } : { admin: now.addedBy };
      await tx.recordCredentialIssued({ subject, attributes: now.attributes, createdAt, expiresAt: signed.expiresAt, credentialHash, authorisedBy }, this.identifier);
      return true;
    }, options);
    if (!outcome) throw new UnauthorizedError('authority', 'credential refused: membership changed while issuing, ask again');
    return { ...signed, createdAt, credentialHash };
  }

  /** Adds or replaces a member (admins only). */
  async addMember(actor: string, identifier: string, member: { attributes?: Attributes; role?: Role } = {}, options?: StoreCallOptions): Promise<MemberRecord> {
    if (typeof identifier !== 'string' || identifier.length === 0 || identifier.length > 256) throw new InvalidInputError('authority', 'member identifier must be 1-256 characters');
    const role = member.role ?? 'member';
    if (!['admin', 'enroller', 'member'].includes(role)) throw new InvalidInputError('authority', `unknown role ${String(role)}`);
    const record: MemberRecord = { identifier, attributes: validateAttributes(member.attributes ?? {}, 'member attributes'), role, addedBy: actor, addedAt: this.clock() };
    await this.authorized(actor, 'member.add', ['admin'], (tx) => tx.putMember(record, actor), options);
    return record;
  }

  /** Removes a member (admins only); it gets no credential from then on. Returns false if it was not a member. */
  async removeMember(actor: string, identifier: string, options?: StoreCallOptions): Promise<boolean> {
    return await this.authorized(actor, 'member.remove', ['admin'], async (tx) => {
      const target = await tx.getMember(identifier);
      if (target?.role === 'admin' && (await tx.listMembers()).filter((m) => m.role === 'admin').length === 1) {
        throw new InvalidInputError('authority', 'cannot remove the last admin');
      }
      return (await tx.removeMember(identifier, actor)) !== undefined;
    }, options);
  }

  /** All members (admins only). */
  async listMembers(actor: string, options?: StoreCallOptions): Promise<MemberRecord[]> {
    return await this.authorized(actor, 'member.list', ['admin'], (tx) => tx.listMembers(), options);
  }

  /** One member (admins, or the member itself). */
  async getMember(actor: string, identifier: string, options?: StoreCallOptions): Promise<MemberRecord | undefined> {
    if (actor === identifier) return await this.store.getMember(identifier, options);
    return await this.authorized(actor, 'member.show', ['admin'], (tx) => tx.getMember(identifier), options);
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
    if (upToSeq === undefined) {
      upToSeq = ((await this.checkpoint(options)) ?? (await this.store.checkpoints(undefined, options)).at(-1))?.seq ?? 0;
      const header: AuditExportHeader = { kind: 'header', format: AUDIT_EXPORT_FORMAT, version: AUDIT_FORMAT_VERSION, authority: this.identifier, exportedAt: this.clock() };
      lines.push(JSON.stringify(header));
    }
    let after = cursor.afterSeq ?? 0;
    if (after >= upToSeq) return { lines, upToSeq };
    const page = await this.store.readAudit({ afterSeq: after, limit: Math.min(500, upToSeq - after) }, options);
    const checkpoints = (await this.store.checkpoints(upToSeq, options)).filter((c) => c.seq > after);
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

  private async signCheckpoint(options?: StoreCallOptions): Promise<SignedCheckpoint | undefined> {
    const head = await this.store.auditHead(options);
    if (head.seq === 0) return undefined;
    const existing = (await this.store.checkpoints(undefined, options)).at(-1);
    if (existing !== undefined && existing.seq === head.seq) return existing;
    const body: AuditCheckpoint = { version: AUDIT_FORMAT_VERSION, authority: this.identifier, seq: head.seq, head: head.hash, time: this.clock() };
    const signature = await this.options.signDigest(checkpointDigest(body));
    const signed: SignedCheckpoint = { ...body, signature };
    await this.store.saveCheckpoint(signed, options);
    this.changesSinceCheckpoint = 0;
    return signed;
  }

  /** Runs a role-checked change; a refusal is audited, committed, then thrown. */
  private async authorized<T>(actor: string, action: string, roles: readonly Role[], fn: (tx: AuthorityTransaction) => Promise<T>, options?: StoreCallOptions): Promise<T> {
    const result = await this.write<T | Refusal>(async (tx) => {
      const member = await tx.getMember(actor);
      if (member === undefined || !roles.includes(member.role)) {
        const reason = member === undefined ? 'not a member' : `role ${member.role} may not do this`;
        await tx.recordRefusal('access.refused', actor, { action, reason });
        return new Refusal(reason);
      }
      return await fn(tx);
    }, options);
    if (result instanceof Refusal) throw new UnauthorizedError('authority', `${action} refused: ${result.reason}`);
    return result;
  }

  /** Runs a transaction, then signs a checkpoint when enough changes have accumulated. */
  private async write<T>(fn: (tx: AuthorityTransaction) => Promise<T>, options?: StoreCallOptions): Promise<T> {
    const result = await this.store.withTransaction(fn, options);
    if (++this.changesSinceCheckpoint >= this.checkpointEvery) await this.checkpoint(options);
    return result;
  }
}
